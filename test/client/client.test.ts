import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import WebSocket from 'ws';
import {
  BatchOverviewDocument,
  LlmUsageByModelDocument,
  RunDetailDocument,
  RunGroupPageDocument,
  StepStatusChangedDocument,
  createRunledgerClient,
  type RunGroupPageQuery,
  type RunledgerClient,
  type StepStatusChangedSubscription,
} from '../../src/client';
import { claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';

const root = path.resolve(__dirname, '../..');

describe('the typed client', () => {
  let s: TestServer;
  let client: RunledgerClient;
  beforeAll(async () => {
    s = await startTestServer();
    client = createRunledgerClient({ url: s.url, apiKey: TEST_ADMIN_KEY, webSocketImpl: WebSocket, retryDelayMs: 50 });
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  it('runs the frontend operations with typed results, paging a run group', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 5);
    const group = await startRunGroup(s, batch.id, [{ name: 'parse', type: 'PARSE' }]);
    const step = await claim(s, 'typed', { projectId: project.id });
    await must(
      s,
      `mutation ($s: ID!) { recordLlmCall(input: { stepId: $s, provider: "p", model: "typed-model", operation: CHAT, prompt: "x", promptTokens: 3, completionTokens: 2, latencyMs: 10, status: SUCCESS }) { id } }`,
      { s: step!.id },
    );

    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (;;) {
      const page: RunGroupPageQuery = await client.request(RunGroupPageDocument, { id: group.id, first: 2, after });
      const runs = page.runGroup!.runs;
      expect(runs.totalCount).toBe(5);
      seen.push(...runs.nodes.map((r) => r.id));
      if (!runs.pageInfo.hasNextPage) break;
      after = runs.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(5);

    const detail = await client.request(RunDetailDocument, { id: step!.run.id });
    expect(detail.run!.steps[0]!.llmCalls[0]!.totalTokens).toBe(5);
    const overview = await client.request(BatchOverviewDocument, { id: batch.id });
    expect(overview.batch!.stats.runCount).toBe(5);
    const usage = await client.request(LlmUsageByModelDocument, { filter: { projectId: project.id } });
    expect(usage.llmUsage).toEqual([expect.objectContaining({ key: 'typed-model', calls: 1, totalTokens: 5 })]);
    await expect(client.request(RunDetailDocument, { id: 'nope' })).rejects.toThrow(/BAD_USER_INPUT/);
  });

  it('resumes a subscription from its last cursor after the connection drops', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 3);
    const group = await startRunGroup(s, batch.id, [{ name: 'only', type: 'PARSE' }]);
    const start = await s.gql(
      `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { cursor } } }`,
      { g: group.id },
    );
    const received: StepStatusChangedSubscription['stepStatusChanged'][] = [];
    const stop = client.subscribe(
      StepStatusChangedDocument,
      { filter: { runGroupId: group.id }, after: start.data.lifecycleEvents.nodes[0].cursor },
      { next: (d) => received.push(d.stepStatusChanged) },
    );
    const first = await claim(s, 'w', { projectId: project.id });
    await until(() => received.length === 1);
    client.reconnect(); // the socket drops; changes go on meanwhile
    await setStatus(s, first!.id, 'COMPLETED');
    const second = await claim(s, 'w', { projectId: project.id });
    await setStatus(s, second!.id, 'COMPLETED');
    await until(() => received.length >= 4);
    stop();
    expect(received.map((e) => `${e.step.id === first!.id ? 'first' : 'second'}:${e.status}`)).toEqual([
      'first:RUNNING',
      'first:COMPLETED',
      'second:RUNNING',
      'second:COMPLETED',
    ]);
    expect(new Set(received.map((e) => e.cursor)).size).toBe(4);
  });

  it('fails type checking when an operation result is used with a field it does not select', () => {
    const dir = mkdtempSync(path.join(root, 'test', 'client', '.typecheck-'));
    const check = (body: string) => {
      const file = path.join(dir, `usage-${Math.random().toString(36).slice(2)}.ts`);
      writeFileSync(file, `import { createRunledgerClient, RunDetailDocument } from '../../../src/client';\n${body}\n`);
      const config = ts.getParsedCommandLineOfConfigFile(
        path.join(root, 'tsconfig.json'),
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
      )!;
      const program = ts.createProgram([file], { ...config.options, noEmit: true });
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    try {
      const ok = check(
        `export async function f() { const c = createRunledgerClient({ url: '', apiKey: '' }); const r = await c.request(RunDetailDocument, { id: 'x' }); return r.run?.steps[0]?.worker?.isStale; }`,
      );
      expect(ok).toEqual([]);
      const wrong = check(
        `export async function f() { const c = createRunledgerClient({ url: '', apiKey: '' }); const r = await c.request(RunDetailDocument, { id: 'x' }); return r.run?.steps[0]?.workerName; }`,
      );
      expect(wrong.join('\n')).toMatch(/workerName/);
      const wrongVariables = check(
        `export async function f() { const c = createRunledgerClient({ url: '', apiKey: '' }); return c.request(RunDetailDocument, { runId: 'x' }); }`,
      );
      expect(wrongVariables.join('\n')).toMatch(/runId/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
