// `npm run demo -- --short` against a real server: its summary matches what the API reports.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { must } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const root = path.resolve(__dirname, '../..');

describe('npm run demo', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it('takes a batch through every step type, with retries, failures and LLM costs the API confirms', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--short'], {
      cwd: root,
      env: { ...process.env, DEMO_URL: s.url, DEMO_API_KEY: TEST_ADMIN_KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const summary = JSON.parse(/DEMO_SUMMARY (.*)/.exec(output)![1]!) as {
      runGroupId: string;
      completed: number;
      failed: number;
      retries: number;
      llmCalls: number;
      llmCostUsd: number;
    };

    const data = await must(
      s,
      `query ($id: ID!) { runGroup(id: $id) { status runs(first: 100) { nodes { steps(first: 20) { type status retry } } } }
        llmUsage(groupBy: RUN_GROUP, filter: { runGroupId: $id }) { calls costUsd } }`,
      { id: summary.runGroupId },
    );
    const steps = data.runGroup.runs.nodes.flatMap((r: { steps: unknown[] }) => r.steps) as {
      type: string;
      status: string;
      retry: number;
    }[];
    expect(new Set(steps.map((st) => st.type)).size).toBe(8);
    expect(steps.filter((st) => st.status === 'COMPLETED')).toHaveLength(summary.completed);
    expect(steps.filter((st) => st.status === 'FAILED')).toHaveLength(summary.failed);
    expect(steps.filter((st) => st.status === 'RUNNING' || st.status === 'ERROR')).toEqual([]);
    expect(summary.completed).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(0);
    expect(data.llmUsage).toEqual([{ calls: summary.llmCalls, costUsd: expect.closeTo(summary.llmCostUsd, 6) }]);
    expect(output).toMatch(/The API reports the same figures/);
  }, 120_000);
});
