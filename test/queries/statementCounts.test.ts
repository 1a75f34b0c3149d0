import { makeBatch, makeProject, makeRunGroup, makeWorker } from '../helpers/factories';
import { startTestServer, type TestServer } from '../helpers/server';

const NESTED = `query ($id: ID!) {
  runGroup(id: $id) {
    progress { total }
    runs(first: 100) {
      totalCount
      nodes {
        document { hash uris(first: 5) { uri } }
        steps(first: 10) {
          name status worker { id }
          llmCalls(first: 5) { model totalTokens promptFile { sizeBytes } responseFile { sizeBytes } }
        }
      }
    }
  }
}`;

describe('nested run group query', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  async function measure(runs: number) {
    const project = await makeProject(s.db);
    const workerId = await makeWorker(s.db, project.id);
    const { group } = await makeRunGroup(s.db, {
      projectId: project.id,
      runs,
      stepsPerRun: 3,
      llmCallsPerStep: 2,
      workerId,
    });
    let res: { data?: any; errors?: unknown[] } | undefined;
    const { count, sql } = await s.countStatements(async () => {
      res = await s.gql(NESTED, { id: group.id });
    });
    expect(res!).toSucceed();
    return { count, sql, data: res!.data.runGroup };
  }

  it('costs the same number of SQL statements for 5 runs and for 100 runs, at most one per relation', async () => {
    const small = await measure(5);
    const large = await measure(100);

    expect(small.data.runs.totalCount).toBe(5);
    expect(large.data.runs.totalCount).toBe(100);
    expect(large.data.runs.nodes).toHaveLength(100);
    const steps = large.data.runs.nodes.flatMap((r: { steps: unknown[] }) => r.steps);
    expect(steps).toHaveLength(300);
    expect(steps[0].llmCalls).toHaveLength(2);
    expect(steps[0].llmCalls[0].promptFile.sizeBytes).toBe(6);
    expect(steps[0].worker.id).toMatch(/^w-/);

    // runGroup with its progress, runs page with its count, documents, uris, steps, llm calls,
    // files; `worker { id }` comes from the step's foreign key.
    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(7);
    expect(large.sql.filter((q: string) => q.includes('from "worker"'))).toEqual([]);
    console.log(`nested query: ${small.count} statements for 5 runs, ${large.count} for 100 runs`);
  });

  it("loads a step's worker when more than its id is asked for, and answers `worker { id }` alike", async () => {
    const project = await makeProject(s.db);
    const workerId = await makeWorker(s.db, project.id);
    const { group } = await makeRunGroup(s.db, { projectId: project.id, runs: 2, stepsPerRun: 2, workerId });
    const query = (worker: string) =>
      `query ($id: ID!) { runGroup(id: $id) { runs { nodes { steps(first: 5) { worker { ${worker} } } } } } }`;
    let full: { data?: any } | undefined;
    const loaded = await s.countStatements(async () => {
      full = await s.gql(query('__typename id lastCheckinAt'), { id: group.id });
    });
    let lean: { data?: any } | undefined;
    const fromKey = await s.countStatements(async () => {
      lean = await s.gql(query('__typename id'), { id: group.id });
    });
    expect(loaded.sql.filter((q: string) => q.includes('from "worker"'))).toHaveLength(1);
    expect(fromKey.count).toBe(loaded.count - 1);
    const workers = (res: { data?: any }) =>
      res.data.runGroup.runs.nodes.flatMap((r: { steps: { worker: unknown }[] }) => r.steps.map((st) => st.worker));
    expect(workers(full!)).toHaveLength(4);
    for (const w of workers(full!))
      expect(w).toEqual({ __typename: 'Worker', id: workerId, lastCheckinAt: expect.any(String) });
    expect(workers(lean!)).toEqual(
      workers(full!).map(({ lastCheckinAt: _, ...rest }: { lastCheckinAt: string }) => rest),
    );
  });

  it("reads a nested connection's first page and its totalCount in one statement, the count honouring the filter", async () => {
    const project = await makeProject(s.db);
    const { group, runs } = await makeRunGroup(s.db, { projectId: project.id, runs: 5, stepsPerRun: 1 });
    await s.db('run').whereIn('id', [runs[0]!.id, runs[1]!.id]).update({ status: 'FAILED' });
    const page = (filter: string, after = '') =>
      `query ($id: ID!) { runGroup(id: $id) { runs(first: 2${after}${filter}) { totalCount nodes { id status } pageInfo { endCursor } } } }`;

    const first = await s.countStatements(() => s.gql(page(', filter: { status: [PENDING] }'), { id: group.id }));
    const res = (await s.gql(page(', filter: { status: [PENDING] }'), { id: group.id })) as { data?: any };
    expect(res.data.runGroup.runs.totalCount).toBe(3);
    expect(res.data.runGroup.runs.nodes.map((r: { status: string }) => r.status)).toEqual(['PENDING', 'PENDING']);
    // The group, then its runs with their count: no separate count statement.
    expect(first.count).toBe(2);

    // A later page counts every filtered child, not those after the cursor: the count has its own statement.
    const cursor = res.data.runGroup.runs.pageInfo.endCursor as string;
    let later: { data?: any } | undefined;
    const next = await s.countStatements(async () => {
      later = await s.gql(page(', filter: { status: [PENDING] }', `, after: "${cursor}"`), { id: group.id });
    });
    expect(later!.data.runGroup.runs.totalCount).toBe(3);
    expect(later!.data.runGroup.runs.nodes).toHaveLength(1);
    expect(next.count).toBe(3);

    // A parent with no child in the filter counts 0.
    const none = (await s.gql(page(', filter: { status: [CANCELLED] }'), { id: group.id })) as { data?: any };
    expect(none.data.runGroup.runs).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it("reads a run group's progress with the group's own row, by id and in a page", async () => {
    const project = await makeProject(s.db);
    const batch = await makeBatch(s.db, project.id);
    const { group, runs } = await makeRunGroup(s.db, {
      projectId: project.id,
      batchId: batch.id,
      runs: 5,
      stepsPerRun: 1,
    });
    await s.db('run').whereIn('id', [runs[0]!.id, runs[1]!.id]).update({ status: 'FAILED' });
    await s.db('run').where('id', runs[2]!.id).update({ status: 'COMPLETED' });
    const expected = {
      total: 5,
      pending: 2,
      running: 0,
      completed: 1,
      error: 0,
      failed: 2,
      cancelled: 0,
      fractionDone: 0.6,
    };
    const fields = 'progress { total pending running completed error failed cancelled fractionDone }';

    let byId: { data?: any } | undefined;
    const one = await s.countStatements(async () => {
      byId = await s.gql(`query ($id: ID!) { runGroup(id: $id) { ${fields} } }`, { id: group.id });
    });
    expect(byId!.data.runGroup.progress).toEqual(expected);
    expect(one.count).toBe(1);

    let paged: { data?: any } | undefined;
    const page = await s.countStatements(async () => {
      paged = await s.gql(`query ($id: ID!) { batch(id: $id) { runGroups(first: 5) { nodes { id ${fields} } } } }`, {
        id: batch.id,
      });
    });
    expect(paged!.data.batch.runGroups.nodes).toEqual([{ id: group.id, progress: expected }]);
    // The batch, then its run groups with their progress.
    expect(page.count).toBe(2);

    // A group with no runs at all.
    await s
      .db('step')
      .whereIn(
        'run_id',
        runs.map((r) => r.id),
      )
      .delete();
    await s.db('run').where('run_group_id', group.id).delete();
    const empty = (await s.gql(`query ($id: ID!) { runGroup(id: $id) { ${fields} } }`, { id: group.id })) as {
      data?: any;
    };
    expect(empty.data.runGroup.progress).toEqual({
      ...expected,
      total: 0,
      pending: 0,
      completed: 0,
      failed: 0,
      fractionDone: 0,
    });
  });
});

describe('Worker.activeSteps', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  /** A worker of a new project holding `running` RUNNING steps. */
  async function busyWorker(running: number) {
    const project = await makeProject(s.db);
    const workerId = await makeWorker(s.db, project.id);
    const { steps } = await makeRunGroup(s.db, { projectId: project.id, runs: running, stepsPerRun: 1, workerId });
    await s
      .db('step')
      .whereIn(
        'id',
        steps.map((st) => st.id),
      )
      .update({ status: 'RUNNING', startedAt: s.db.fn.now() });
    return workerId;
  }

  it('is capped at 100 per worker in SQL: the statement returns at most 100 rows per worker', async () => {
    const big = await busyWorker(150);
    const small = await busyWorker(3);
    // The rows each statement returned, by its SQL.
    const returned: { sql: string; rows: number }[] = [];
    const onResponse = (response: unknown, query: { sql: string }) => {
      if (Array.isArray(response)) returned.push({ sql: query.sql, rows: response.length });
    };
    s.db.on('query-response', onResponse);
    let res: { data?: any; errors?: unknown[] };
    try {
      res = await s.gql(`{ workers(first: 100) { id activeSteps { id } } }`);
    } finally {
      s.db.off('query-response', onResponse);
    }
    expect(res).toSucceed();
    const byId = new Map(
      (res.data.workers as { id: string; activeSteps: { id: string }[] }[]).map((w) => [w.id, w.activeSteps]),
    );
    expect(byId.get(big)).toHaveLength(100);
    expect(byId.get(small)).toHaveLength(3);
    // The oldest 100, in the list's order (created_at, id).
    const first100 = await s
      .db('step')
      .where({ workerId: big, status: 'RUNNING' })
      .orderBy([{ column: 'createdAt' }, { column: 'id' }])
      .limit(100)
      .pluck('id');
    expect(byId.get(big)!.map((st) => st.id)).toEqual(first100);
    const loads = returned.filter((r) => /"worker_id"/.test(r.sql) && /from "step"|"step"\./.test(r.sql));
    expect(loads).toHaveLength(1);
    // Both workers in one statement, 100 + 3 rows: the other 50 never leave PostgreSQL.
    expect(loads[0]!.rows).toBe(103);
  });
});
