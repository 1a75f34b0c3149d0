// A claimedStep room whose work stream failed once (a type lookup that errored: here a
// statement timeout while `run` is locked) stopped hearing the log for good (before the fix): its loop over the
// signals ends in a swallowed rejection (src/events/claims.ts Room constructor), while its waiters
// stay in the room. A step another process then makes claimable is never claimed by them.
import type { Client } from 'graphql-ws';
import { startRunGroup as startRunGroupService } from '../../src/services/runGroups';
import { createBatch, createProject } from '../helpers/api';
import { holdLocks } from '../helpers/locks';
import { firstLookDone } from '../helpers/workerWire';
import { startTestServer, writerContext, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

const CLAIMED = `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { id status } }`;

describe('claimedStep, when its signal stream fails', () => {
  let s: TestServer;
  let client: Client;
  /** Polls pg_stat_activity (no sleep that hopes to win a race). */
  const lookupWaiting = async () =>
    (
      (await s.db.raw(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%array_agg(distinct s.type)%'`,
      )) as { rows: { n: number }[] }
    ).rows[0]!.n;
  beforeAll(async () => {
    s = await startTestServer({ statementTimeoutMs: 300 });
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  /** A group started by another process: only the log tells this server (no hint). */
  const otherProcessStarts = (batchId: string, type = 'ROUTE') =>
    startRunGroupService(writerContext(s.db), {
      batchId,
      workflowDefinitionId: 'wf',
      steps: [{ name: type.toLowerCase(), type }],
    } as never);

  it('control: a waiter claims a step another process made claimable (through the log)', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const listened = listening(s);
    const sub = collect(client, CLAIMED, { i: { workerId: 'control', projectId: project.id, types: ['ROUTE'] } });
    await listened(1);
    await firstLookDone(s, 'control', project.id);
    await otherProcessStarts(batch.id);
    expect(await sub.waitFor(1, 5000)).toHaveLength(1);
  });

  it('after one failed type lookup, the waiter still claims a step another process made claimable', async () => {
    const project = await createProject(s);
    const ingestBatch = await createBatch(s, project.id, 1);
    const routeBatch = await createBatch(s, project.id, 1);
    const listened = listening(s);
    const sub = collect(client, CLAIMED, { i: { workerId: 'deaf', projectId: project.id, types: ['ROUTE'] } });
    await listened(1);
    await firstLookDone(s, 'deaf', project.id);

    // A group of another type starts in another process while the log's sequencing is held
    // (started here, its hint would tell the room its types: no lookup); once it committed,
    // `run` is locked, and the sequencing released: the room's GROUP_START type lookup waits
    // for `run` and times out.
    const seq = await holdLocks(s.db);
    await seq.lock(`select 1 from event_log_head`);
    const written = otherProcessStarts(ingestBatch.id, 'INGEST');
    while (!(await s.db('run_group').where({ batchId: ingestBatch.id }).first())) {
      /* the write committed */
    }
    const runs = await holdLocks(s.db);
    await runs.lockTable('run');
    await seq.release();
    while ((await lookupWaiting()) === 0) {
      /* the lookup reached the lock */
    }
    while ((await lookupWaiting()) > 0) {
      /* and timed out */
    }
    await runs.release();
    await written;

    // Another process makes a ROUTE step claimable: only the log tells this server.
    await otherProcessStarts(routeBatch.id);
    const claimed = await sub.waitFor(1, 5000).catch((e: Error) => e.message);
    // The room follows the log again after its failed lookup: its waiter claims the step.
    const step = await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where({ 'run.batchId': routeBatch.id })
      .first('step.status', 'step.workerId');
    expect({ claimed, step }).toEqual({ claimed: [expect.anything()], step: { status: 'RUNNING', workerId: 'deaf' } });
  });
});
