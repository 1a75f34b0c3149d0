// Scale-out as it is deployed: HAProxy -> three replicas -> PgBouncer (transaction pooling) ->
// PostgreSQL, each replica with a direct LISTEN URL. Needs Debian's pgbouncer and haproxy
// (`apt-get install pgbouncer haproxy`; .ci/run installs them): without them this file is
// skipped with a message saying what is missing, and with CI=true it fails.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import pg from 'pg';
import WebSocket from 'ws';
import { createRunledgerClient, RunledgerError, type RunledgerClient } from '../../src/client';
import { probeDatabase } from '../../src/db/capabilities';
import { createDb } from '../../src/db/knex';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { toolsFor, startHaproxy, startPgBouncer, type Daemon, type PgBouncer, type Tools } from '../helpers/deployment';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { TEST_ADMIN_KEY, writerContext } from '../helpers/server';
import { claimNextStep } from '../../src/services/steps';
import { until } from '../helpers/wait';

/** PgBouncer's server connections per database: what the three replicas share. */
const POOL_SIZE = 6;
const root = path.resolve(__dirname, '../..');

type Data = Record<string, any>; // response shapes are narrowed by each assertion
const doc = (query: string) => parse(query) as TypedDocumentNode<Data, Record<string, unknown>>;

const EVENTS = doc(`subscription ($f: EventFilter!, $after: String) {
  lifecycleEvents(filter: $f, after: $after) { id cursor type status step { id } } }`);

const found = toolsFor(
  'deployed: HAProxy -> 3 replicas -> PgBouncer (transaction mode) -> PostgreSQL',
  'pgbouncer and haproxy',
);

(found ? describe : describe.skip)(
  'deployed: HAProxy -> 3 replicas -> PgBouncer (transaction mode) -> PostgreSQL',
  () => {
    let tools: Tools;
    let database: TestDatabase;
    let fresh: TestDatabase;
    let bouncer: PgBouncer;
    let replicas: ServerProcess[] = [];
    let balancer: (Daemon & { url: string }) | undefined;
    const extra: ServerProcess[] = [];

    beforeAll(async () => {
      tools = found!;
      database = await createTestDatabase();
      fresh = await createTestDatabase({ template: null });
      bouncer = await startPgBouncer(tools, {
        databases: { runledger: database.url, fresh: fresh.url },
        poolSize: POOL_SIZE,
      });
      replicas = await Promise.all(
        [1, 2, 3].map(() =>
          startServerProcess({ DATABASE_URL: bouncer.url('runledger'), DATABASE_LISTEN_URL: database.url }),
        ),
      );
      balancer = await startHaproxy(tools, { backends: replicas.map((r) => Number(new URL(r.url).port)) });
    }, 120_000);

    afterAll(async () => {
      for (const r of [...replicas, ...extra]) {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
        await r.exited;
      }
      await balancer?.stop();
      await bouncer?.stop();
      await fresh?.drop();
      await database?.drop();
    });

    it('finds the pooler refusing session settings and sessions, and sets the timeout in each transaction', async () => {
      // Behind the pooler each replica read the server's statement_timeout at start-up (this
      // cluster's default: none) and warned, since reads outside a transaction run under it.
      for (const r of replicas) expect(r.output).toMatch(/statement_timeout, which is none \(0\)/);
      expect(await probeDatabase(database.url)).toEqual({ startupParameters: true, sessions: true });
      expect(await probeDatabase(bouncer.url('runledger'))).toEqual({ startupParameters: false, sessions: false });
      const pooled = createDb({
        connection: bouncer.url('runledger'),
        poolMax: 2,
        statementTimeoutMs: 1234,
        statementTimeoutPer: 'transaction',
      });
      try {
        const shown = await pooled.transaction(async (trx) => (await trx.raw('show statement_timeout')).rows[0]);
        expect(shown).toEqual({ statement_timeout: '1234ms' }); // raw rows keep PostgreSQL's names
        // The timeout is enforced, not just shown.
        await expect(pooled.transaction((trx) => trx.raw('select pg_sleep(3)'))).rejects.toThrow(
          /canceling statement due to statement timeout/,
        );
      } finally {
        await pooled.destroy();
      }
    });

    it('loses nothing when a replica is SIGKILLed under mixed load', async () => {
      const lb = balancer!.url;
      const http = createRunledgerClient({ url: lb, apiKey: TEST_ADMIN_KEY });
      const project = (await http.request(
        doc(`mutation ($i: CreateProjectInput!) { createProject(input: $i) { id } }`),
        {
          i: { slug: `deploy-${Date.now()}`, name: 'deploy' },
        },
      )) as { createProject: { id: string } };
      const projectId = project.createProject.id;
      const batchInput = (tag: string, documents: number) => ({
        projectId,
        name: tag,
        source: 'fs',
        documents: Array.from({ length: documents }, (_, n) => ({
          uri: `/${tag}/${n}`,
          content: Buffer.from(`${tag} ${n}`).toString('base64'),
          mimeType: 'text/plain',
        })),
      });
      const CREATE_BATCH = doc(`mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`);
      const batch = (await http.request(CREATE_BATCH, { i: batchInput('work', 40) })) as {
        createBatch: { id: string };
      };
      const group = (await http.request(doc(`mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`), {
        i: {
          batchId: batch.createBatch.id,
          workflowDefinitionId: 'wf',
          steps: [
            { name: 'parse', type: 'PARSE' },
            { name: 'embed', type: 'EMBED' },
          ],
        },
      })) as { startRunGroup: { id: string } };
      const runGroupId = group.startRunGroup.id;
      const first = (await http.request(
        doc(`query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { id cursor } } }`),
        { g: runGroupId },
      )) as { lifecycleEvents: { nodes: { id: string; cursor: string }[] } };
      const start = first.lifecycleEvents.nodes[0]!;

      // Subscribers through the balancer (round robin puts three on each replica); each resumes
      // by cursor on its own after its socket drops.
      const subscribers = Array.from({ length: 9 }, () => {
        // Every socket this subscriber opens: 1 for one that never reconnected.
        const opened = { sockets: 0 };
        class CountedWebSocket extends WebSocket {
          constructor(...args: ConstructorParameters<typeof WebSocket>) {
            super(...args);
            opened.sockets++;
          }
        }
        const client: RunledgerClient = createRunledgerClient({
          url: lb,
          apiKey: TEST_ADMIN_KEY,
          webSocketImpl: CountedWebSocket,
          retryDelayMs: 100,
        });
        const ids: string[] = [];
        const errors: unknown[] = [];
        client.subscribe(
          EVENTS,
          { f: { runGroupId }, after: start.cursor },
          { next: (d) => ids.push(d.lifecycleEvents.id as string), error: (e) => errors.push(e) },
        );
        return { client, ids, errors, opened };
      });
      const active = async (r: ServerProcess) => {
        const text = await (await fetch(r.url.replace(/graphql$/, 'metrics'))).text();
        return Number(/^runledger_subscriptions_active (\d+)/m.exec(text)?.[1] ?? 0);
      };
      const victim = replicas[0]!;
      for (let i = 0; i < 200; i++) {
        const counts = await Promise.all(replicas.map(active));
        if (counts.reduce((a, b) => a + b, 0) >= 9) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const before = await Promise.all(replicas.map(active));
      expect(before.reduce((a, b) => a + b, 0)).toBe(9);
      // Subscribers on every replica, the victim included.
      expect(before.every((n) => n > 0)).toBe(true);

      // Connections PostgreSQL sees from the pooler (everything but the LISTEN connections and
      // this test's own), sampled through the whole load.
      const monitor = new pg.Client({ connectionString: database.url, application_name: 'runledger-test-monitor' });
      await monitor.connect();
      // A write held in flight on the victim when it dies: its createProject waits (in its
      // transaction, on a pooled server connection) for this uncommitted project of the same slug.
      const blocker = new pg.Client({ connectionString: database.url, application_name: 'runledger-test-monitor' });
      await blocker.connect();
      const heldSlug = `held-${Date.now()}`;
      await blocker.query('begin');
      await blocker.query(`insert into project (slug, name) values ($1, 'held')`, [heldSlug]);
      const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const dbName = new URL(database.url).pathname.slice(1);
      let peak = 0;
      let listeners = 0;
      let sampling = true;
      let victimDead = false;
      const sampler = (async () => {
        while (sampling) {
          // Once the victim is dead, PgBouncer has dropped the held write's server connection,
          // but PostgreSQL notices only when the lock wait ends: not the pooler's any more.
          const { rows } = await monitor.query(
            `select count(*) filter (where application_name not in ('runledger-listen', 'runledger-test-monitor')
                                     and not ($2 and $3::int = any(pg_blocking_pids(pid))))::int as pooled,
                  count(*) filter (where application_name = 'runledger-listen')::int as listening
             from pg_stat_activity where datname = $1 and backend_type = 'client backend'`,
            [dbName, victimDead, blockerPid],
          );
          peak = Math.max(peak, rows[0].pooled);
          listeners = Math.max(listeners, rows[0].listening);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      // Mixed load through the balancer: workers claim and complete steps, writers create batches.
      const acked = { claimed: new Set<string>(), completed: new Set<string>(), batches: new Set<string>() };
      let failures = 0;
      const rejected: string[] = [];
      let done = false;
      const CLAIM = doc(`mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id version } }`);
      const UPDATE = doc(`mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id status } }`);
      const worker = async (w: number) => {
        while (!done) {
          try {
            const claimed = (await http.request(CLAIM, { i: { workerId: `w${w}`, projectId } })) as Data;
            const step = claimed.claimNextStep as { id: string } | null;
            if (!step) return; // nothing claimable is left
            acked.claimed.add(step.id);
            await http.request(UPDATE, { i: { stepId: step.id, status: 'COMPLETED', workerId: `w${w}` } });
            acked.completed.add(step.id);
          } catch (e) {
            if (e instanceof RunledgerError)
              rejected.push(e.message); // an answer, and a wrong one
            else failures++; // the replica died under this request: not acknowledged
          }
        }
      };
      const writer = async (n: number) => {
        for (let i = 0; !done; i++) {
          try {
            const b = (await http.request(CREATE_BATCH, { i: batchInput(`load-${n}-${i}`, 3) })) as Data;
            acked.batches.add(b.createBatch.id as string);
          } catch (e) {
            if (e instanceof RunledgerError) rejected.push(e.message);
            else failures++;
          }
        }
      };
      const load = [worker(1), worker(2), worker(3), worker(4), writer(1), writer(2)];
      const held = createRunledgerClient({ url: victim.url, apiKey: TEST_ADMIN_KEY })
        .request(doc(`mutation ($i: CreateProjectInput!) { createProject(input: $i) { id } }`), {
          i: { slug: heldSlug, name: 'held' },
        })
        .then(
          () => 'answered',
          (e: unknown) => (e instanceof RunledgerError ? `rejected: ${e.message}` : 'failed'),
        );
      await until(() => acked.completed.size >= 20 || rejected.length > 0, 60_000);
      expect(rejected).toEqual([]);
      for (;;) {
        const { rows } = await monitor.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))`,
          [blockerPid],
        );
        if (rows[0]!.n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      victim.child.kill('SIGKILL');
      await victim.exited;
      victimDead = true;
      await blocker.query('rollback');
      // The write in flight on the victim failed, and (checked below) left nothing.
      expect(await held).toBe('failed');
      // Work goes on through the two replicas left, until no step can be claimed.
      await Promise.all(load.slice(0, 4));
      done = true;
      await Promise.all(load);
      sampling = false;
      await sampler;

      // Every acknowledged write is in the database, and nothing is half-written.
      const direct = createDb({ connection: database.url, poolMax: 2 });
      try {
        const steps = await direct('step')
          .join('run', 'run.id', 'step.runId')
          .where('run.runGroupId', runGroupId)
          .select('step.id', 'step.status');
        const status = new Map(steps.map((s: { id: string; status: string }) => [s.id, s.status]));
        for (const id of acked.completed) expect(status.get(id)).toBe('COMPLETED');
        for (const id of acked.claimed) expect(status.get(id)).not.toBe('PENDING');
        expect(acked.completed.size).toBeGreaterThan(20);
        const batches = await direct('batch')
          .leftJoin('document_uri', 'document_uri.batchId', 'batch.id')
          .where('batch.projectId', projectId)
          .whereNot('batch.id', batch.createBatch.id)
          .groupBy('batch.id')
          .select('batch.id', direct.raw('count(document_uri.id)::int as uris'));
        const stored = new Map(batches.map((b: { id: string; uris: number }) => [b.id, b.uris]));
        for (const id of acked.batches) expect(stored.get(id)).toBe(3);
        expect([...stored.values()].every((n) => n === 3)).toBe(true); // unacknowledged ones too: all or nothing
        expect(await direct('project').where({ slug: heldSlug }).first()).toBeUndefined();
        // Each completed step has exactly one COMPLETED event, written with it.
        const completedEvents = await direct('lifecycleEvent')
          .where({ runGroupId, status: 'COMPLETED' })
          .whereNotNull('stepId')
          .select('stepId');
        expect(completedEvents.map((e: { stepId: string }) => e.stepId).sort()).toEqual(
          steps
            .filter((s: { status: string }) => s.status === 'COMPLETED')
            .map((s: { id: string }) => s.id)
            .sort(),
        );

        // Every subscriber ends with the committed log of the group after its cursor, exactly once.
        const log = (await direct('lifecycleEvent').where({ runGroupId }).orderByRaw('tx_id, id').select('id')).map(
          (e: { id: number | string }) => String(e.id),
        );
        const expected = log.filter((id) => id !== String(start.id));
        await until(() => subscribers.every((s) => s.ids.length >= expected.length), 30_000).catch(() => undefined);
        for (const s of subscribers) {
          expect(s.errors).toEqual([]);
          expect(s.ids).toHaveLength(new Set(s.ids).size); // nothing twice
          expect([...s.ids].sort()).toEqual([...expected].sort()); // nothing missed
        }
        // The victim's subscribers each reconnected; those of the two other replicas never did
        // (every one of the victim's had to, so any more would be a survivor's).
        const reconnected = subscribers.filter((s) => s.opened.sockets > 1).length;
        expect(reconnected).toBe(before[0]);
        expect(subscribers.filter((s) => s.opened.sockets === 1)).toHaveLength(9 - before[0]!);
      } finally {
        await direct.destroy();
        await monitor.end();
        await blocker.end();
        await Promise.all(subscribers.map((s) => s.client.dispose()));
      }
      console.log(
        `deployment: ${acked.completed.size} steps completed and ${acked.batches.size} batches created through HAProxy; ` +
          `${failures} requests failed with the killed replica; peak ${peak} pooled server connections (pool ${POOL_SIZE}), ` +
          `${listeners} LISTEN connections`,
      );
      expect(peak).toBeLessThanOrEqual(POOL_SIZE);
      // Every replica held its one LISTEN connection on the direct URL (the victim's until it died).
      expect(listeners).toBe(3);
    }, 150_000);

    it('with MIGRATE_ON_START=false: not ready while migrations are pending, ready once db:migrate ran', async () => {
      // This database's sessions get a statement_timeout within STATEMENT_TIMEOUT_MS (5000): no warning.
      await fresh.db.raw(`alter database ${new URL(fresh.url).pathname.slice(1)} set statement_timeout = '5s'`);
      // No DATABASE_LISTEN_URL either: the replica says it polls instead.
      const replica = await startServerProcess({ DATABASE_URL: bouncer.url('fresh'), MIGRATE_ON_START: 'false' });
      extra.push(replica);
      expect(replica.output).not.toMatch(/statement_timeout, which is/);
      expect(replica.output).toMatch(/polling the log every 500 ms/);
      expect(replica.output).toMatch(/migration\(s\) pending/);
      const readyz = replica.url.replace(/graphql$/, 'readyz');
      expect((await fetch(readyz)).status).toBe(503);
      expect(await fresh.db.raw(`select to_regclass('project') as t`).then((r) => r.rows[0].t)).toBeNull();

      const migrate = spawn('npm', ['run', 'db:migrate'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: bouncer.url('fresh') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      migrate.stdout.on('data', (c: Buffer) => (output += c.toString()));
      migrate.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => migrate.on('exit', resolve));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringMatching(/Batch 1 run: \d+ migrations/) });

      expect((await fetch(readyz)).status).toBe(200);
      const created = await fetch(replica.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({
          query: `mutation { createProject(input: { slug: "after-migrate", name: "a" }) { id } }`,
        }),
      });
      const projectId = ((await created.json()) as Data).data?.createProject?.id as string;
      expect(projectId).toBeDefined();

      // Another process's write reaches this replica's subscribers by its poll of the log.
      const client = createRunledgerClient({ url: replica.url, apiKey: TEST_ADMIN_KEY, webSocketImpl: WebSocket });
      const request = (q: string, v: Record<string, unknown>) => client.request(doc(q), v);
      const batch = await request(`mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
        i: { projectId, name: 'b', source: 'fs', documents: [{ uri: '/a', content: 'YQ==', mimeType: 'text/plain' }] },
      });
      const group = await request(`mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`, {
        i: { batchId: batch.createBatch.id, workflowDefinitionId: 'wf', steps: [{ name: 'parse', type: 'PARSE' }] },
      });
      let arrived: number | undefined;
      client.subscribe(
        doc(`subscription ($f: EventFilter!) { stepStatusChanged(filter: $f) { status } }`),
        { f: { runGroupId: group.startRunGroup.id } },
        { next: () => (arrived ??= performance.now()) },
      );
      const metrics = replica.url.replace(/graphql$/, 'metrics');
      for (let i = 0; i < 400; i++) {
        const text = await (await fetch(metrics)).text();
        if (/^runledger_subscriptions_active 1$/m.test(text)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const elsewhere = createDb({ connection: fresh.url, poolMax: 1 });
      try {
        const committed = performance.now();
        expect(await claimNextStep(writerContext(elsewhere), { workerId: 'elsewhere', projectId })).not.toBeNull();
        await until(() => arrived !== undefined, 3000);
        const latency = arrived! - committed;
        console.log(`polling replica: another process's commit reached its subscriber after ${latency.toFixed(0)} ms`);
        expect(latency).toBeLessThan(1500); // the 500 ms poll, with room for a loaded machine
      } finally {
        await elsewhere.destroy();
        await client.dispose();
      }
    });
  },
);
