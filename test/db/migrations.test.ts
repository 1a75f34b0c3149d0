import { readdirSync } from 'node:fs';
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
