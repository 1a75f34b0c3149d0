// Claims, reports and deletes racing a cancel or each other, with the rollups in one statement:
// interleavings forced with a second session holding row locks.
import { UPDATE, claim, createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitersReach, waitingBackend } from '../helpers/locks';
import { groupRule, runRule } from '../helpers/rules';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

const DELETE_URI = `mutation ($i: DeleteDocumentUriInput!) { deleteDocumentUri(input: $i) { totalDeleted } }`;

describe('cancels and rollups under forced interleavings', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 8 });
  });
  afterAll(() => s.stop());

  async function rule(runGroupId: string) {
    const runs = (await s.db('run').where({ runGroupId }).select('id', 'status')) as { id: string; status: string }[];
    const steps = (await s
      .db('step')
      .whereIn(
        'runId',
        runs.map((r) => r.id),
      )
      .select('runId', 'status')) as {
      runId: string;
      status: string;
    }[];
    const groupStatus = groupRule(runs.map((r) => r.status));
    const group = await s.db('run_group').where({ id: runGroupId }).first('status');
    return {
      runs: runs.map((r) => ({
        status: r.status,
        rule: runRule(steps.filter((x) => x.runId === r.id).map((x) => x.status)),
      })),
      group: { status: group.status, rule: groupStatus },
    };
  }

  it('a first claim whose run lock waits while a delete sends the group back to PENDING leaves the group RUNNING', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 2);
    const g = await startRunGroup(s, batch.id, [
      { name: 'a', type: 'INGEST' },
      { name: 'b', type: 'PARSE' },
    ]);
    // The first claim starts run A (and the group).
    const first = await claim(s, 'w1', { projectId: project.id });
    const runA = await s.db('run').where({ id: first!.run.id }).first('id', 'documentId');
    const runB = await s.db('run').where({ runGroupId: g.id }).whereNot({ id: runA.id }).first('id');
    const uriA = await s.db('document_uri').where({ documentId: runA.documentId }).first('source', 'uri');

    // The second session holds run B: the claim of B's first step waits at the run's start,
    // inside its one statement (whose snapshot is from before the delete below).
    // FOR NO KEY UPDATE: the step's event (KEY SHARE on the run) passes, the run's update waits.
    const holder = await s.db.transaction();
    await holder.raw(`select 1 from run where id = ? for no key update`, [runB.id]);
    const claimB = claim(s, 'w2', { projectId: project.id });
    await waitingBackend(s.db, ['claimNextStep: claim']);
    // Meanwhile run A goes with its document: the group, left with B still PENDING, goes back to PENDING.
    await must(s, DELETE_URI, { i: { projectId: project.id, source: uriA.source, uri: uriA.uri } });
    expect((await s.db('run_group').where({ id: g.id }).first('status')).status).toBe('PENDING');
    await holder.rollback();
    const claimed = await claimB;
    expect(claimed!.run.id).toBe(runB.id);
    const r = await rule(g.id);
    expect(r.group).toEqual({ status: 'RUNNING', rule: 'RUNNING' });
    for (const run of r.runs) expect(run.status).toBe(run.rule);
  });

  it('a mid-run report (no rollup) racing cancelRunGroup: rollups equal the rule, events end with each status', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const g = await startRunGroup(s, batch.id, [
      { name: 'a', type: 'INGEST', maxRetries: 1 },
      { name: 'b', type: 'PARSE' },
    ]);
    const step = await claim(s, 'w1', { projectId: project.id });
    // The report stalls on its worker's check-in, holding the step.
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['w1', project.id]);
    const report = s.gql(UPDATE, { i: { stepId: step!.id, status: 'COMPLETED', workerId: 'w1' } });
    await waitersReach(s.db, 1);
    const cancel = s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: g.id });
    await waitersReach(s.db, 2);
    await holder.release();
    const [rep, can] = await Promise.all([report, cancel]);
    expect(errorCodes(rep)).toEqual([]);
    expect(errorCodes(can)).toEqual([]);
    const r = await rule(g.id);
    expect(r.group.status).toBe(r.group.rule);
    for (const run of r.runs) expect(run.status).toBe(run.rule);
    const steps = (await s.db('step').where({ runId: step!.run.id }).select('id', 'status')) as {
      id: string;
      status: string;
    }[];
    for (const st of steps) {
      const events = (await s
        .db('lifecycle_event')
        .where({ stepId: st.id })
        .orderBy('position')
        .select('status', 'previousStatus')) as { status: string; previousStatus: string | null }[];
      if (events.length) expect(events.at(-1)!.status).toBe(st.status);
      // Each event's previous status is the status the one before it recorded.
      for (let i = 1; i < events.length; i++) expect(events[i]!.previousStatus).toBe(events[i - 1]!.status);
    }
  });

  it('cancelRunGroup that waited for a claim records the step as RUNNING before and revokes its worker', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    // w1's row exists, for the second session to hold.
    await must(s, `mutation ($id: ID!, $p: ID) { workerCheckin(id: $id, projectId: $p) { id } }`, {
      id: 'w1',
      p: project.id,
    });
    const g = await startRunGroup(s, batch.id, [{ name: 'a', type: 'INGEST' }]);
    const step = await s.db('step').join('run', 'run.id', 'step.runId').where('run.runGroupId', g.id).first('step.id');
    // The claim locks the step, then stalls on w1's check-in (the claim statement's CTE).
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['w1', project.id]);
    const claimed = claim(s, 'w1', { projectId: project.id });
    await waitersReach(s.db, 1);
    // The cancel reaches the claimed step and waits for it.
    const cancel = s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: g.id });
    await waitersReach(s.db, 2);
    await holder.release();
    expect((await claimed)!.id).toBe(step.id);
    expect(errorCodes(await cancel)).toEqual([]);
    const events = (await s
      .db('lifecycle_event')
      .where({ stepId: step.id })
      .orderBy('position')
      .select('type', 'status', 'previousStatus', 'revokedWorkerId')) as Record<string, string | null>[];
    expect(events).toEqual([
      { type: 'STEP_START', status: 'RUNNING', previousStatus: 'PENDING', revokedWorkerId: null },
      // The step was RUNNING under w1 when the cancel changed it: stepsRevoked must tell w1.
      { type: 'STEP_END', status: 'CANCELLED', previousStatus: 'RUNNING', revokedWorkerId: 'w1' },
    ]);
  });
});
