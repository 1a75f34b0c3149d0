// Review: a claimedStep push of a NEW claim of a step, arriving while the worker's hand-back of
// an earlier claim of that step is still waiting for its answer, is dropped (the worker checks
// handBacks.has(id), not the version). The release committed, the worker's own waiting slot
// claimed the step again (version moved on), and the worker throws the push away: the step is
// RUNNING under a worker that will never run it. Idle, the worker is silent, so only the lease
// frees it, as a lost worker's step: an attempt counted for a step that never ran (maxRetries 0:
// FAILED, never having run once).
import { createRunledgerWorker, type RunledgerWorker } from '../../src/client';
import { claim, createBatch, createProject, startRunGroup } from '../helpers/api';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { metricValue } from '../helpers/metrics';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { groupEnd, heldPushes, stepOf, watchRequests } from '../helpers/workerWire';

describe('createRunledgerWorker, with a push during a hand-back of the same step', () => {
  let s: TestServer;
  const workers: RunledgerWorker[] = [];
  beforeAll(async () => {
    // A short lease, so that the stranded step's fate shows within the test.
    s = await startTestServer({ workerLeaseSeconds: 2 });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await s.stop();
  });

  it('runs a step handed back at start once its own slot claims it again while the release answer is on its way', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const pushes = heldPushes();
    const ran: string[] = [];
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId: project.id,
      stopGraceMs: 200,
      webSocketImpl: pushes.impl,
      handlers: { ROUTE: (step) => void ran.push(step.id) },
    });
    workers.push(w);
    const lost = await startRunGroup(s, batch.id, [{ name: 'lost', type: 'ROUTE' }]);
    // Held for the worker id before it starts (an earlier process of that name lost the answer).
    const held = (await claim(s, w.workerId, { projectId: project.id }))!;

    // start() hands it back; the release waits on the step's row meanwhile, so the worker's
    // claim finds nothing and its slot waits on claimedStep.
    const locks = await holdLocks(s.db);
    const waiting = await metricValue(s, 'runledger_claims_waiting');
    // The release's answer reaches the worker only after the push that follows its commit (the
    // waiting slot's claim of the step, at a newer version) has.
    const pushed = pushes.seen();
    const unwatch = watchRequests('releaseStep', { gate: () => pushed });
    try {
      await locks.lock(`select id from step where id = ?`, [held.id]);
      await w.start();
      await waitingBackend(s.db, ['updateStepStatus: lock step']);
      for (let i = 0; i < 500 && (await metricValue(s, 'runledger_claims_waiting')) <= waiting; i++)
        await new Promise((r) => setImmediate(r));
      expect(await metricValue(s, 'runledger_claims_waiting')).toBe(waiting + 1);

      // The release commits.
      await locks.release();
      await pushed;
    } finally {
      unwatch();
      await locks.release();
    }

    // The worker was given the step again and holds it: it should run it.
    await groupEnd(s, lost.id);
    expect({ ran, step: await stepOf(s, lost.id) }).toEqual({
      ran: [held.id],
      step: expect.objectContaining({ status: 'COMPLETED', retry: 0 }),
    });
  });
});
