import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb, migrateLatest, pendingMigrations } from '../../src/db/knex';
import { migrationsDirectory } from '../../src/db/knexConfig';
import { useTestDatabase, type TestDatabase } from '../helpers/database';

const TABLES = [
  'api_key',
  'batch',
  'config_set',
  'config_set_item',
  'document',
  'document_uri',
  'document_uri_version',
  'event_log_head',
  'idempotency_key',
  'lifecycle_event',
  'llm_call',
  'project',
  'retention_lease',
  'run',
  'run_group',
  'step',
  'step_config',
  'stored_file',
  'worker',
];

async function tables(t: TestDatabase): Promise<string[]> {
  const rows = await t
    .db('information_schema.tables')
    .select('tableName')
    .where({ tableSchema: 'public', tableType: 'BASE TABLE' })
    .whereNotIn('tableName', ['knex_migrations', 'knex_migrations_lock']);
  return rows.map((r: { tableName: string }) => r.tableName).sort();
}

describe('migrations', () => {
  // An empty database: these tests run the migrations themselves.
  const t = useTestDatabase({ template: null });

  it('run up, all the way down, and up again', async () => {
    await t.db.migrate.latest();
    expect(await tables(t)).toEqual(TABLES);

    await t.db.migrate.rollback(undefined, true);
    expect(await tables(t)).toEqual([]);
    const [, pending] = await t.db.migrate.list();
    expect(pending.length).toBeGreaterThan(0);

    await t.db.migrate.latest();
    expect(await tables(t)).toEqual(TABLES);
  });

  it('index every foreign key', async () => {
    // A foreign key column without an index that starts with it makes cascades and joins scan.
    const unindexed = await t.db.raw(`
      select c.conrelid::regclass::text as table_name, a.attname as column_name
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and not exists (
        select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
      )`);
    expect(unindexed.rows).toEqual([]);
  });

  it('give every foreign key an explicit ON DELETE rule', async () => {
    // confdeltype 'a' is NO ACTION, the default when none was written.
    const implicit = await t.db.raw(`select conname from pg_constraint where contype = 'f' and confdeltype = 'a'`);
    expect(implicit.rows).toEqual([]);
  });
});

describe('migrations run by several replicas starting at once', () => {
  const t = useTestDatabase({ template: null });

  it('all succeed on an empty database, and each migration runs exactly once', async () => {
    const files = readdirSync(migrationsDirectory).filter((f) => f.endsWith('.ts'));
    expect(await pendingMigrations(t.db)).toEqual(files.sort());
    const replicas = Array.from({ length: 4 }, () => createDb({ connection: t.url, poolMax: 2 }));
    // Every migration creates or alters something: count the first migration's CREATE TABLE
    // as it is sent, whichever replica sends it.
    const creates: string[] = [];
    for (const db of replicas)
      db.on('query', (q: { sql: string }) => /^create table "project"/i.test(q.sql) && creates.push(q.sql));
    try {
      const outcomes = await Promise.allSettled(replicas.map((db) => migrateLatest(db)));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    } finally {
      await Promise.all(replicas.map((db) => db.destroy()));
    }
    expect(creates).toHaveLength(1);
    const applied = (await t.db('knex_migrations').select('name')).map((r: { name: string }) => r.name);
    expect(applied.sort()).toEqual(files.sort());
    expect(await pendingMigrations(t.db)).toEqual([]);
  });
});

describe('npm run db:migrate, as a deploy step', () => {
  const t = useTestDatabase({ template: null });

  it('retries the race of a first run on an empty database: another migrator creates knex_migrations at the same moment', async () => {
    // The other migrator: its CREATE TABLE knex_migrations (knex's own definition) is not
    // committed yet, so db:migrate finds no table, creates it too, and waits on this one.
    const other = new pg.Client({ connectionString: t.url });
    // pg_stat_activity is read outside that transaction (inside, it is one snapshot).
    const monitor = new pg.Client({ connectionString: t.url });
    await other.connect();
    await monitor.connect();
    await other.query('begin');
    await other.query(
      'create table knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz)',
    );
    const migrate = spawn('npm', ['run', 'db:migrate'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, DATABASE_URL: t.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    migrate.stdout.on('data', (c: Buffer) => (output += c.toString()));
    migrate.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => migrate.on('exit', resolve));
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    try {
      for (;;) {
        const { rows } = await monitor.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query ilike 'create table "knex_migrations"%'`,
        );
        if (rows[0]!.n > 0 || code !== undefined) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect({ code, output }).toEqual({ code: undefined, output: expect.any(String) });
      // The other migrator commits first: db:migrate's CREATE TABLE fails (duplicate), and is retried.
      await other.query('commit');
    } finally {
      await other.query('rollback').catch(() => undefined);
      await other.end();
      await monitor.end();
    }
    expect({ code: await exited, output }).toEqual({
      code: 0,
      output: expect.stringMatching(/Batch 1 run: \d+ migrations/),
    });
    expect(await pendingMigrations(t.db)).toEqual([]);
  }, 60_000);
});
