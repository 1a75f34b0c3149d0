import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import WebSocket from 'ws';
import {
  createRunledgerWorker,
  type RunledgerWorker,
  type RunledgerWorkerOptions,
  type StepHandlers,
} from '../../src/client';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { collect, listening, wsClient } from '../helpers/ws';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const root = path.resolve(__dirname, '../..');

/** A handler that runs until its signal aborts, and what it saw. */
function hangingHandler() {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let abortedWith!: (reason: Error) => void;
  const aborted = new Promise<Error>((resolve) => (abortedWith = resolve));
  const handler = async (_step: unknown, ctx: { signal: AbortSignal }) => {
    started();
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    abortedWith(ctx.signal.reason as Error);
    throw ctx.signal.reason;
  };
  return { handler, running, aborted };
}

/** The promise's value, or a failure that says what did not happen. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('createRunledgerWorker', () => {
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

  function worker(
    projectId: string,
    handlers: StepHandlers,
    extra: Partial<Pick<RunledgerWorkerOptions, 'concurrency' | 'workerId' | 'heartbeatMs' | 'pollIntervalMs'>> = {},
  ) {
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId,
      handlers,
      webSocketImpl: WebSocket,
      stopGraceMs: 200,
      ...extra,
    });
    workers.push(w);
    return w;
  }

  it('records timed LLM calls (streamed, with time to first token, and failed ones) and stored files', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const done = new Promise<void>((resolve) => {
      const w = worker(project.id, {
        EMBED: async (step, ctx) => {
          await ctx.llm(
            { provider: 'fake', model: 'streamer', prompt: `embed ${step.document.hash}` },
            async function* () {
              await new Promise((r) => setTimeout(r, 20));
              yield { text: 'hello ' };
              yield { text: 'world', promptTokens: 7, completionTokens: 2, costUsd: 0.0009 };
            },
          );
          await expect(
            ctx.llm({ provider: 'fake', model: 'broken', prompt: 'fail please' }, () =>
              Promise.reject(new Error('rate limited')),
            ),
          ).rejects.toThrow('rate limited');
          const file = await ctx.storeFile({
            kind: 'CHUNKS',
            content: new Uint8Array([1, 2, 3]),
            mimeType: 'application/octet-stream',
          });
          resolve();
          return { statusMeta: { file: file.path } };
        },
      });
      void w.start();
    });
    const group = await startRunGroup(s, batch.id, [{ name: 'embed', type: 'EMBED' }]);
    await done;
    const read = async () =>
      (
        await must(
          s,
          `query ($id: ID!) { runGroup(id: $id) { status runs(first: 1) { nodes { steps(first: 1) { status statusMeta files(first: 5) { sizeBytes }
            llmCalls(first: 5) { model status errorMessage latencyMs timeToFirstTokenMs totalTokens costUsd promptFile { content(maxBytes: 1000) } responseFile { content(maxBytes: 1000) } } } } } } }`,
          { id: group.id },
        )
      ).runGroup;
    // The report follows the handler's return: wait for the group to end.
    const ws = wsClient(s.url);
    await collect(ws, `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total } }`, {
      id: group.id,
    }).waitForEnd();
    await ws.dispose();
    const g = await read();
    expect(g.status).toBe('COMPLETED');
    const step = g.runs.nodes[0].steps[0];
    expect(step.files).toEqual([{ sizeBytes: 3 }]);
    expect(step.statusMeta.file).toMatch(/^steps\//);
    const [streamed, failed] = step.llmCalls;
    expect(streamed).toMatchObject({
      model: 'streamer',
      status: 'SUCCESS',
      totalTokens: 9,
      costUsd: 0.0009,
      responseFile: { content: 'hello world' },
    });
    expect(streamed.timeToFirstTokenMs).toBeGreaterThanOrEqual(15);
    expect(streamed.latencyMs).toBeGreaterThanOrEqual(streamed.timeToFirstTokenMs);
    expect(streamed.promptFile.content).toMatch(/^embed sha256-/);
    expect(failed).toMatchObject({
      model: 'broken',
      status: 'ERROR',
      errorMessage: 'rate limited',
      responseFile: null,
      promptFile: { content: 'fail please' },
    });
  });

  it("claims only its handlers' step types and at most `concurrency` steps at once", async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 6);
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    let onStart = () => undefined as void;
    const held = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (release.length >= n ? resolve() : void (onStart = check));
        check();
      });
    const w = worker(
      project.id,
      {
        PARSE: async () => {
          running++;
          most = Math.max(most, running);
          await new Promise<void>((r) => {
            release.push(r);
            onStart();
          });
          running--;
        },
      },
      { concurrency: 2 },
    );
    await w.start();
    const other = await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    const group = await startRunGroup(s, batch.id, [{ name: 'parse', type: 'PARSE' }]);
    // Released one at a time, the six steps go through two slots, never more.
    for (let done = 0; done < 6; done++) {
      await held(Math.min(2, 6 - done));
      expect(release.length).toBeLessThanOrEqual(2);
      release.shift()!();
    }
    await w.idle();
    expect(most).toBe(2);
    const progress = await must(
      s,
      `query ($a: ID!, $b: ID!) { a: runGroup(id: $a) { status } b: runGroup(id: $b) { status } }`,
      { a: group.id, b: other.id },
    );
    expect(progress).toEqual({ a: { status: 'COMPLETED' }, b: { status: 'PENDING' } });
  });

  it('aborts the handler of a step that went away at its next heartbeat, even while claims keep the worker checked in', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let abortedWith!: (reason: unknown) => void;
    const aborted = new Promise<unknown>((resolve) => (abortedWith = resolve));
    // A free slot and a fast poll: the worker claims (and so checks in) far more often than it
    // heartbeats, which must not stand in for the heartbeat's answer about its steps.
    const w = worker(
      project.id,
      {
        ROUTE: async (_step, ctx) => {
          started();
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          abortedWith(ctx.signal.reason);
        },
      },
      { concurrency: 2, heartbeatMs: 100, pollIntervalMs: 10 },
    );
    await w.start();
    const group = await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    await running;
    // Deleting the group takes the step away with no step event: only the heartbeat can tell.
    await must(s, `mutation ($id: ID!) { deleteRunGroup(id: $id) { deletedSteps } }`, { id: group.id });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reason = await Promise.race([
      aborted,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error("the handler's signal was not aborted within 100 heartbeat intervals")),
            10_000,
          )),
      ),
    ]).finally(() => clearTimeout(timer));
    expect((reason as Error).message).toMatch(/no longer held/);
    await w.idle();
    expect(w.running).toBe(0);
  });

  const HOUR = 3_600_000;
  const stepEvents = async (stepId: string) =>
    (await s.db('lifecycle_event').where('step_id', stepId).orderBy('position').select('status')).map(
      (e: { status: string }) => e.status,
    );
  const stepsOf = async (groupId: string): Promise<{ id: string; number: number }[]> =>
    s
      .db('step as s')
      .join('run as r', 'r.id', 's.run_id')
      .where('r.run_group_id', groupId)
      .orderBy('s.number')
      .select('s.id', 's.number');

  it.each([
    [
      'its run group is cancelled',
      (group: string) => must(s, `mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: group }),
    ],
    [
      'a later step of its run is cancelled (the run cannot go on)',
      async (group: string) => {
        const [, second] = await stepsOf(group);
        await must(s, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { status } }`, {
          i: { stepId: second!.id, status: 'CANCELLED' },
        });
      },
    ],
    [
      'it is cancelled itself',
      async (group: string) => {
        const [first] = await stepsOf(group);
        await must(s, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { status } }`, {
          i: { stepId: first!.id, status: 'CANCELLED' },
        });
      },
    ],
  ])(
    'aborts the handler of a running step when %s, through stepsRevoked and not its heartbeat',
    async (_case, cancel) => {
      const project = await createProject(s);
      const batch = await createBatch(s, project.id, 1);
      const hanging = hangingHandler();
      // Its heartbeat is an hour away and nothing else checks: only the subscription can tell.
      const w = worker(project.id, { ROUTE: hanging.handler }, { heartbeatMs: HOUR, pollIntervalMs: HOUR });
      const subscribed = listening(s);
      await w.start();
      await within(subscribed(2), 10_000, 'the worker did not subscribe to both claimedStep and stepsRevoked');
      const group = await startRunGroup(s, batch.id, [
        { name: 'route', type: 'ROUTE' },
        { name: 'store', type: 'STORE' },
      ]);
      await hanging.running;
      await cancel(group.id);
      const reason = await within(
        hanging.aborted,
        10_000,
        "the handler's signal was not aborted (its heartbeat is an hour away)",
      );
      expect(reason.message).toMatch(/^step \S+ was cancelled/);
      await w.idle();
      // The handler's error after the abort is refused (the claim's version is gone): nothing over CANCELLED.
      const [first] = await stepsOf(group.id);
      expect(await stepEvents(first!.id)).toEqual(['RUNNING', 'CANCELLED']);
    },
  );

  it('fails type checking for a handler of an unknown step type or with a wrong result', () => {
    const dir = mkdtempSync(path.join(root, 'test', 'worker', '.typecheck-'));
    const check = (handlers: string) => {
      const file = path.join(dir, `usage-${Math.random().toString(36).slice(2)}.ts`);
      writeFileSync(
        file,
        `import { createRunledgerWorker } from '../../../src/client';\nexport const w = createRunledgerWorker({ url: '', apiKey: '', workerId: 'w', handlers: ${handlers} });\n`,
      );
      const config = ts.getParsedCommandLineOfConfigFile(
        path.join(root, 'tsconfig.json'),
        {},
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
      )!;
      const program = ts.createProgram([file], { ...config.options, noEmit: true });
      return ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
        .join('\n');
    };
    try {
      expect(
        check(`{ PARSE: async (step) => { const t: 'PARSE' = step.type; return { statusMeta: { pages: 12, t } }; } }`),
      ).toBe('');
      expect(check(`{ PARSEE: async () => ({}) }`)).toMatch(/PARSEE/);
      expect(check(`{ PARSE: async () => ({ statusMeta: 'twelve pages' }) }`)).toMatch(/statusMeta/);
      expect(check(`{ EMBED: async (step) => { const t: 'PARSE' = step.type; return {}; } }`)).toMatch(/"EMBED"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('createRunledgerWorker, when its lease expires', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ workerLeaseSeconds: 1 });
  });
  afterAll(async () => {
    await s.stop();
  });

  it("aborts the lost worker's handler through stepsRevoked when another worker takes its step over", async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const hanging = hangingHandler();
    const options = {
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      projectId: project.id,
      webSocketImpl: WebSocket,
      stopGraceMs: 200,
    };
    // Silent while it runs (no heartbeat, no claim with its only slot busy): its lease expires.
    const lost = createRunledgerWorker({
      ...options,
      workerId: 'lost',
      handlers: { ROUTE: hanging.handler },
      heartbeatMs: 3_600_000,
      pollIntervalMs: 3_600_000,
    });
    let completedBy: string | undefined;
    const taker = createRunledgerWorker({
      ...options,
      workerId: 'taker',
      handlers: { ROUTE: (_step, ctx) => void (completedBy = ctx.workerId) },
      // Takeovers are announced by no signal: the server looks for them for the taker's waiting
      // slot every half lease (here every second).
    });
    try {
      const subscribed = listening(s);
      await lost.start();
      await within(subscribed(2), 10_000, 'the worker did not subscribe to both claimedStep and stepsRevoked');
      // One retry left: the takeover is an attempt.
      const group = await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE', maxRetries: 1 }]);
      await hanging.running;
      await taker.start();
      const reason = await within(
        hanging.aborted,
        20_000,
        "the lost worker's signal was not aborted after the takeover",
      );
      expect(reason.message).toMatch(/^step \S+ was taken over/);
      const ws = wsClient(s.url);
      await collect(ws, `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total } }`, {
        id: group.id,
      })
        .waitForEnd()
        .finally(() => ws.dispose());
      expect(completedBy).toBe('taker');
      const step = await s
        .db('step as s')
        .join('run as r', 'r.id', 's.run_id')
        .where('r.run_group_id', group.id)
        .first('s.status', 's.worker_id', 's.retry');
      expect(step).toEqual({ status: 'COMPLETED', workerId: 'taker', retry: 1 });
    } finally {
      await Promise.all([lost.stop(), taker.stop()]);
    }
  });
});
