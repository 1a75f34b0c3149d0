// A claimedStep subscriber leaves while its claim waits for a lock. Sent as one statement on its
// own (b215f24), the claim committed when the lock went and the room had to hand the step back
// with releaseStep; when that hand-back failed too (here: its statement times out behind a
// second session's lock on the step), the step stayed RUNNING under a worker that never got
// it. A claimedStep claim runs in a transaction, and rolls back (found by an adversarial review).
import knex, { type Knex } from 'knex';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitersReach, waitingBackend } from '../helpers/locks';
import { metricValue } from '../helpers/metrics';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const CLAIMED = `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { id status version } }`;
const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;
const TIMEOUT_MS = 3000;

describe('claimedStep, when a subscriber leaves while its claim waits for a lock', () => {
  let s: TestServer;
  let side: Knex;
  beforeAll(async () => {
    s = await startTestServer({ statementTimeoutMs: TIMEOUT_MS });
    // Lock holders on their own pool, without the statement timeout.
    side = knex({ client: 'pg', connection: s.database.url, pool: { min: 0, max: 4 } });
  });
  afterAll(async () => {
    await side.destroy();
    await s.stop();
  });

  it('leaves the step claimable, even when anything after the claim would fail (a hand-back times out behind a lock)', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    await must(s, CLAIM, { i: { workerId: 'leaver', projectId: project.id } }); // creates the worker row
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    const step = await s.db('step').where({ projectId: project.id }).first('id');

    const worker = await holdLocks(side);
    const stepLock = await holdLocks(side);
    const own = wsClient(s.url);
    let queued: Promise<void> | undefined;
    try {
      await worker.lock(`select 1 from worker where id = ? and project_id = ?`, ['leaver', project.id]);
      const sub = collect(own, CLAIMED, { i: { workerId: 'leaver', projectId: project.id } });
      // The claim holds the step's lock and waits on the worker row.
      await waitingBackend(s.db, ['claimNextStep']);
      // A second session queues on the step's row behind the claim.
      queued = stepLock.lock(`select 1 from step where id = ?`, [step.id]);
      await waitersReach(s.db, 2);
      sub.unsubscribe();
      await own.dispose();
      for (let i = 0; i < 50 && (await metricValue(s, 'runledger_claims_waiting')) > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      await worker.release(); // the claim commits; the queued session gets the step's row
      await queued;
      // A room that committed the claim would hand it back now, and its releaseStep would wait
      // on the step's row past the statement timeout; a claim that rolled back sends none.
      const handBack = await waitingBackend(s.db, ['updateStepStatus: lock step']).catch(() => null);
      if (handBack !== null) await new Promise((r) => setTimeout(r, TIMEOUT_MS + 1000));
    } finally {
      await worker.release();
      await stepLock.release();
    }
    const after = await s.db('step').where({ id: step.id }).first('status', 'workerId', 'retry');
    const again = (await must(s, CLAIM, { i: { workerId: 'stayer', projectId: project.id } })).claimNextStep;
    expect(after).toMatchObject({ retry: 0 });
    expect(again).toEqual({ id: step.id });
  });
});
