// Retention through PgBouncer in transaction mode, where consecutive statements of one client
// connection may run on different server connections: the single-pruner guarantee must hold
// without session state (src/services/retention.ts). Needs Debian's pgbouncer (.ci/run installs
// it): without it this file is skipped with a message, and with CI=true it fails.
import pg from 'pg';
import { createDb, type Db } from '../../src/db/knex';
import { DEFAULT_RETENTION, pruneOnce, type PruneResult } from '../../src/services/retention';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { toolsFor, startPgBouncer, type PgBouncer } from '../helpers/deployment';

const found = toolsFor('retention through PgBouncer (transaction mode)', 'pgbouncer');

const DAY = 24 * 3600_000;
const later = () => new Date(Date.now() + 2 * DAY);

(found ? describe : describe.skip)('retention through PgBouncer (transaction mode)', () => {
  let database: TestDatabase;
  let bouncer: PgBouncer;
  let monitor: pg.Client;
  /** Two replicas' pools on the pooler, as the server opens them there. */
  let replicaA: Db;
  let replicaB: Db;
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    bouncer = await startPgBouncer(found!, { databases: { runledger: database.url }, poolSize: 4 });
    const pooled = () =>
      createDb({
        connection: bouncer.url('runledger'),
        poolMax: 2,
        statementTimeoutMs: 5000,
        statementTimeoutPer: 'transaction',
      });
    replicaA = pooled();
    replicaB = pooled();
    monitor = new pg.Client({ connectionString: database.url });
    await monitor.connect();
    projectId = (
      (await database.db('project').insert({ slug: 'retention', name: 'r' }).returning('id')) as { id: string }[]
    )[0]!.id;
  }, 60_000);

  afterAll(async () => {
    await replicaA?.destroy();
    await replicaB?.destroy();
    await monitor?.end();
    await bouncer?.stop();
    await database?.drop();
  });

  /** `count` idempotency keys old enough for a pass at later() to delete. */
  const oldKeys = async (tag: string, count: number) => {
    await database.db('idempotency_key').insert(
      Array.from({ length: count }, (_, i) => ({
        projectId,
        operation: 'createBatch',
        key: `${tag}-${i}`,
        requestHash: 'h',
        createdAt: new Date(Date.now() - DAY),
      })),
    );
  };
  const keysLeft = async () => Number((await database.db('idempotency_key').count({ n: '*' }).first())!.n);
  const advisoryLocks = async () =>
    (
      await monitor.query<{ n: number }>(
        `select count(*)::int as n from pg_locks
         where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
      )
    ).rows[0]!.n;

  it('leaves nothing held on a pooled server connection: another replica prunes while a client holds that connection in a transaction', async () => {
    await oldKeys('first', 2);
    // Replica A's pass gets one of its two client connections; the other is held here, so the
    // pass waits for it after whatever it did first on the one it got.
    const held: unknown = await replicaA.client.acquireConnection();
    let settled = false;
    const passA = pruneOnce(replicaA, DEFAULT_RETENTION, later()).finally(() => (settled = true));
    // A session lock would be visible now (taken on whichever server connection the statement
    // got); a pass needing no second connection is done.
    while (!settled && (await advisoryLocks()) === 0) await new Promise((r) => setTimeout(r, 5));
    // Another client's transaction gets the server connection just used (PgBouncer reuses the
    // last one released), and keeps it.
    const other = new pg.Client({ connectionString: bouncer.url('runledger') });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select 1');
      await replicaA.client.releaseConnection(held);
      expect(await passA).toMatchObject({ ran: true, idempotencyKeys: 2 });

      // Nobody is pruning now: replica B's pass runs, whatever server connection it lands on.
      await oldKeys('second', 1);
      expect(await pruneOnce(replicaB, DEFAULT_RETENTION, later())).toMatchObject({ ran: true, idempotencyKeys: 1 });
      expect(await advisoryLocks()).toBe(0);
      expect(await keysLeft()).toBe(0);
    } finally {
      await other.query('rollback').catch(() => undefined);
      await other.end();
    }
  });

  it('two passes at once through the pooler: the one that finds the other mid-batch does nothing', async () => {
    await oldKeys('race', 3);
    // A row of the first batch locked here: replica A's pass stops in its first batch.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    let passA: Promise<PruneResult> | undefined;
    try {
      await blocker.query('begin');
      await blocker.query(`select 1 from idempotency_key where key = 'race-0' for update`);
      passA = pruneOnce(replicaA, { ...DEFAULT_RETENTION, batchSize: 2 }, later());
      for (;;) {
        const { rows } = await monitor.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like 'delete from idempotency_key%'`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await pruneOnce(replicaB, DEFAULT_RETENTION, later())).toEqual({
        ran: false,
        idempotencyKeys: 0,
        events: 0,
        workers: 0,
        stepConfigs: 0,
      });
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    expect(await passA).toMatchObject({ ran: true, idempotencyKeys: 3 });
    expect(await keysLeft()).toBe(0);
    expect(await advisoryLocks()).toBe(0);
  });
});
