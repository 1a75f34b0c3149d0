import { makeProject, makeRunGroup, makeWorker } from '../helpers/factories';
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

    // runGroup, progress, runs page, runs count, documents, uris, steps, workers, llm calls, files
    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(10);
    console.log(`nested query: ${small.count} statements for 5 runs, ${large.count} for 100 runs`);
  });
});
