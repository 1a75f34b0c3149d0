// Review: a claimedStep push that arrives after the worker handed its step back (two heartbeats
// showed the step, the releaseStep answer came back) is run anyway. The worker only drops a push
// while the hand-back is in flight (handBacks.has(id)); once it is done, the late push of the
// very claim it released (same version) launches a handler for a step that is ERROR on the
// server, claimable by anyone: the step runs twice (here: by the same worker, once unheld).
import { createRunledgerWorker, type RunledgerWorker } from '../../src/client';
import { createBatch, createProject, startRunGroup } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { groupEnd, heldPushes, signal, stepOf, watchRequests } from '../helpers/workerWire';

describe('createRunledgerWorker, with a push late past its own hand-back', () => {
  let s: TestServer;
  const workers: RunledgerWorker[] = [];
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await s.stop();
  });

  it('does not run a step it has already handed back when the push of that claim arrives late', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const pushes = heldPushes();
    const busy = signal();
    /** Each handler call of the 'next' step, with the step's row on the server as the handler starts. */
    const runs: { id: string; serverStatus: string; serverWorker: string | null }[] = [];
    let first = true;
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId: project.id,
      // One slot runs a step, so heartbeats go on; the other waits on claimedStep.
      concurrency: 2,
      heartbeatMs: 50,
      stopGraceMs: 200,
      webSocketImpl: pushes.impl,
      handlers: {
        ROUTE: async (step, ctx) => {
          if (first) {
            first = false;
            busy.fire();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
            return;
          }
          const row = (await s.db('step').where({ id: step.id }).first('status', 'worker_id')) as {
            status: string;
            workerId: string | null;
          };
          runs.push({ id: step.id, serverStatus: row.status, serverWorker: row.workerId });
        },
      },
    });
    workers.push(w);
    await w.start();
    await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;

    // The waiting slot's push is held (a slow connection): two heartbeat answers in a row show
    // the step at its claim's version, so the worker hands it back, and the answer comes back.
    const held = pushes.hold();
    const released = signal();
    const unwatch = watchRequests('releaseStep', { then: released.fire });
    let next: { id: string };
    try {
      next = await startRunGroup(s, batch.id, [{ name: 'next', type: 'ROUTE' }]);
      await held;
      await released.promise;
    } finally {
      unwatch();
    }
    const step = await stepOf(s, next.id);
    expect(step).toMatchObject({ status: 'ERROR', retry: 0 });

    // Now the push of that same claim (the version the worker just released) arrives.
    const seen = pushes.seen();
    pushes.deliver();
    await seen;
    await groupEnd(s, next.id);

    // The step ran once, while its worker held it. It ran twice: first for the late push, while
    // the server had it ERROR (claimable by any worker), then again for the claim that followed.
    expect(runs).toEqual([{ id: step.id, serverStatus: 'RUNNING', serverWorker: w.workerId }]);
  });
});
