import { useTestDatabase } from '../helpers/database';
import { startServerProcess } from '../helpers/process';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

describe('operations endpoints', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());
  const base = () => s.url.replace(/\/graphql$/, '');

  it('/healthz answers while the process lives; /readyz checks the database and migrations', async () => {
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    await s.db('knex_migrations').where('id', s.db('knex_migrations').max('id')).delete();
    const pending = await fetch(`${base()}/readyz`);
    expect(pending.status).toBe(503);
    expect(await pending.json()).toEqual({ status: 'migrations pending' });
    await s.db.migrate.latest().catch(() => undefined);
  });

  it('/readyz is 503 when the database cannot be reached', async () => {
    const t = await startTestServer();
    await t.db.destroy(); // the pool is gone: every query fails
    const res = await fetch(`${t.url.replace(/\/graphql$/, '')}/readyz`);
    expect(res.status).toBe(503);
    await t.server.stop();
    await t.database.drop().catch(() => undefined);
  });

  it('/metrics counts requests by operation and outcome, and shows subscriptions, pool and delivery lag', async () => {
    await s.gql(`query Workers { workers { id } }`);
    await s.gql(`query Broken { run(id: "nope") { id } }`);
    const client = wsClient(s.url);
    const listened = listening(s);
    const sub = collect(client, `subscription { lifecycleEvents(filter: {}) { id } }`);
    await listened(1);
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toMatch(/runledger_graphql_requests_total\{operation="Workers",outcome="ok"\} 1/);
    expect(text).toMatch(/runledger_graphql_requests_total\{operation="Broken",outcome="error"\} 1/);
    expect(text).toMatch(/runledger_graphql_request_duration_seconds_bucket\{le="0.005",operation="Workers"\}/);
    expect(text).toMatch(/runledger_subscriptions_active 1/);
    expect(text).toMatch(/runledger_db_pool_in_use \d+/);
    expect(text).toMatch(/runledger_event_delivery_lag_seconds_count \d+/);
    sub.unsubscribe();
    await client.dispose();
  });
});

describe('SIGTERM under load', () => {
  const t = useTestDatabase();

  it('finishes or cleanly refuses every request, closes sockets with 1001, and exits 0', async () => {
    const server = await startServerProcess({ DATABASE_URL: t.url });
    const { child, url, exited } = server;
    const client = wsClient(url);
    const sub = collect(client, `subscription { lifecycleEvents(filter: {}) { id } }`);
    const outcomes = { completed: 0, refused: 0, broken: [] as string[] };
    let sent = 0;
    let underLoad!: () => void;
    const loadRunning = new Promise<void>((resolve) => (underLoad = resolve));
    const load = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 40; i++) {
        sent++;
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
            body: JSON.stringify({ query: `{ projects { totalCount } workers { id } }` }),
          });
          const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
          if (res.status === 200 && body.data) {
            outcomes.completed++;
            if (outcomes.completed === 16) underLoad(); // the server is answering the load
          } else outcomes.broken.push(`${res.status} ${JSON.stringify(body).slice(0, 100)}`);
        } catch {
          outcomes.refused++; // connection refused or closed before a response: the client knows
          return;
        }
      }
    });
    void Promise.all(load).then(underLoad); // a load that ended early still gets its SIGTERM
    await loadRunning;
    child.kill('SIGTERM');
    await Promise.all(load);
    expect(await exited).toBe(0);
    await sub.waitForEnd(5000).catch(() => undefined);
    expect((sub.errors[0] as { code?: number }).code).toBe(1001);
    expect(outcomes.broken).toEqual([]);
    expect(outcomes.completed).toBeGreaterThan(0);
    console.log(`SIGTERM under load: ${outcomes.completed} completed, ${outcomes.refused} refused, of ${sent} sent`);
    await client.dispose();
  });
});
