// The SDK's slots share one WebSocket: the server's per-socket cap must not cost it slots.
import WebSocket from 'ws';
import { createRunledgerWorker, type RunledgerWorker } from '../../src/client';
import { createBatch, createProject, startRunGroup } from '../helpers/api';
import { metricValue } from '../helpers/metrics';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const waitingClaims = (s: TestServer) => metricValue(s, 'runledger_claims_waiting');

describe('the SDK with a shared socket and WS_MAX_SUBSCRIPTIONS_PER_SOCKET', () => {
  let s: TestServer;
  const workers: RunledgerWorker[] = [];
  beforeAll(async () => {
    s = await startTestServer({ config: { wsMaxSubscriptionsPerSocket: 4 } });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await s.stop();
  });

  it('a worker of concurrency 4 runs four steps at once (its slots are not refused by the per-socket cap)', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 8);
    const warnings: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: 'capped',
      projectId: project.id,
      concurrency: 4,
      pollIntervalMs: 600_000,
      stopGraceMs: 200,
      webSocketImpl: WebSocket,
      onWarning: (m) => warnings.push(m),
      handlers: {
        ROUTE: async () => {
          started++;
          await gate;
        },
      },
    });
    workers.push(w);
    await w.start();
    await w.idle();
    // Slots wait on the server (first looks done).
    for (let i = 0; i < 300 && (await waitingClaims(s)) < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    for (let i = 0; i < 300 && started < 4; i++) await new Promise((r) => setTimeout(r, 10));
    release();
    expect({ started, warnings }).toEqual({ started: 4, warnings: [] });
  });
});
