// The one heavy test of the suite: a run group of the maximum size (MAX_RUNS_PER_GROUP runs x 8
// steps) is started, cancelled and deleted through the API while the pool keeps production's
// 5 s statement timeout for everything else (issue 12, must-work 6). Times go to the bench (M5).
import { createProject, must } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';

const RUNS = 50_000;
const TYPES = ['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE'];
const STEPS = TYPES.map((t) => ({ name: t.toLowerCase(), type: t }));

describe('a run group of the maximum size', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ maxRunsPerGroup: RUNS, statementTimeoutMs: 5000 });
  });
  afterAll(() => s.stop());

  it(`starts, cancels and deletes ${RUNS} runs x 8 steps within the 5 s statement timeout of client reads`, async () => {
    // The pool cuts any other statement at 5 s, as STATEMENT_TIMEOUT_MS does in production.
    expect((await s.db.raw(`show statement_timeout`)).rows[0].statement_timeout).toBe('5s');
    const project = await createProject(s);
    const [batch] = await s
      .db('batch')
      .insert({ projectId: project.id, name: 'maximum', source: 'fs' })
      .returning('id');
    // The documents are setup, not what is tested: one statement instead of 50,000 uploads.
    await s.db.transaction(async (trx) => {
      await trx.raw(`set local statement_timeout = 0`);
      await trx.raw(
        `with d as (
           insert into document (project_id, hash, mime_type)
           select ?, 'sha256-' || encode(sha256(('maximum-' || g)::bytea), 'hex'), 'text/plain' from generate_series(1, ?) g
           returning id)
         insert into document_uri (project_id, document_id, source, uri, batch_id) select ?, d.id, 'fs', d.id::text, ? from d`,
        [project.id, RUNS, project.id, batch.id],
      );
    });

    const g = (
      await must(
        s,
        `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id status progress { total pending } } }`,
        { i: { batchId: batch.id, workflowDefinitionId: 'max', steps: STEPS } },
      )
    ).startRunGroup;
    expect(g.progress).toEqual({ total: RUNS, pending: RUNS });
    const steps = await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.runGroupId', g.id)
      .count({ n: '*' });
    expect(Number(steps[0]!.n)).toBe(RUNS * 8);

    const cancelled = (
      await must(s, `mutation ($id: ID!) { cancelRunGroup(id: $id) { status progress { total cancelled } } }`, {
        id: g.id,
      })
    ).cancelRunGroup;
    expect(cancelled).toEqual({
      status: 'CANCELLED',
      progress: { total: RUNS, cancelled: RUNS },
    });
    const ends = await s.db('lifecycle_event').where({ runGroupId: g.id, type: 'GROUP_END' }).select('status');
    expect(ends).toEqual([{ status: 'CANCELLED' }]);
    const open = await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.runGroupId', g.id)
      .whereNot('step.status', 'CANCELLED')
      .count({ n: '*' });
    expect(Number(open[0]!.n)).toBe(0);

    const deleted = (
      await must(
        s,
        `mutation ($id: ID!) { deleteRunGroup(id: $id) { deletedRunGroups deletedRuns deletedSteps deletedEvents } }`,
        { id: g.id },
      )
    ).deleteRunGroup;
    // GROUP_START, a STEP_END per step, an ITEM_END per run, GROUP_END.
    expect(deleted).toEqual({
      deletedRunGroups: 1,
      deletedRuns: RUNS,
      deletedSteps: RUNS * 8,
      deletedEvents: 2 + RUNS * 9,
    });
    expect(await s.db('run').where({ runGroupId: g.id }).first()).toBeUndefined();
    expect(await s.db('lifecycle_event').where({ runGroupId: g.id }).first()).toBeUndefined();
  }, 600_000);
});
