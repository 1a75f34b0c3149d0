// Review: a step whose handler RAN and failed, but whose ERROR report the server refused
// (BAD_USER_INPUT: an error message over MAX_TEXT_BYTES), is handed back by the two-heartbeat
// rule as "never received", i.e. as no attempt. report() gives up on a refused ERROR and leaves
// the step RUNNING under the worker; running.delete() forgets it; the next two heartbeat answers
// show it held and unknown, and releaseStep makes it ERROR with its retry unchanged. The worker
// claims it again, the handler fails again, and so on: a step with maxRetries 0 is retried
// without end and never becomes FAILED (the state machine's retry bound is gone).
import WebSocket from 'ws';
import { createRunledgerWorker, type RunledgerWorker } from '../../src/client';
import { createBatch, createProject, startRunGroup } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';
import { signal } from '../helpers/workerWire';

describe('createRunledgerWorker, with a failed attempt whose report was refused', () => {
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

  it('is not handed back as no attempt: a step that fails every time is not retried past maxRetries', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const busy = signal();
    const fifthAttempt = signal();
    let attempts = 0;
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId: project.id,
      // One slot runs a long step (so heartbeats go on, as in any busy worker); the other the failing one.
      concurrency: 2,
      heartbeatMs: 50,
      stopGraceMs: 200,
      webSocketImpl: WebSocket,
      onWarning: () => undefined,
      handlers: {
        ROUTE: async (_step, ctx) => {
          busy.fire();
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        },
        // An error with a long message (a provider's error body, a stack of causes...).
        PARSE: () => {
          attempts++;
          if (attempts === 5) fifthAttempt.fire();
          throw new Error(`provider said: ${'x'.repeat(20_000)}`);
        },
      },
    });
    workers.push(w);
    await w.start();
    await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;
    const failing = await startRunGroup(s, batch.id, [{ name: 'failing', type: 'PARSE' }]);

    // Either the step ends (FAILED, its one attempt spent) or its handler has run five times.
    const ws = wsClient(s.url);
    const ended = collect(ws, `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total } }`, {
      id: failing.id,
    }).waitForEnd(10_000);
    await Promise.race([ended, fifthAttempt.promise]).catch(() => undefined);
    await ws.dispose();

    const row = (await s
      .db('step as s')
      .join('run as r', 'r.id', 's.run_id')
      .where('r.run_group_id', failing.id)
      .first('s.status', 's.retry', 's.max_retries', 's.status_message')) as {
      status: string;
      retry: number;
      maxRetries: number;
      statusMessage: string | null;
    };
    const events = (await s
      .db('lifecycle_event as e')
      .join('run as r', 'r.id', 'e.run_id')
      .where('r.run_group_id', failing.id)
      .whereNotNull('e.step_id')
      .orderBy('e.position')
      .pluck('e.status')) as string[];
    // maxRetries 0: one attempt. It runs again and again, each failure handed back as "never received".
    expect({ attempts, maxRetries: row.maxRetries, events }).toEqual({
      attempts: 1,
      maxRetries: 0,
      events: expect.not.arrayContaining(['ERROR']),
    });
  });
});
