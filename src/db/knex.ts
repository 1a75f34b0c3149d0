import { readdir } from 'node:fs/promises';
import knex, { type Knex } from 'knex';

import { knexConfig, migrationsDirectory, type KnexConfigOptions } from './knexConfig';

export type Db = Knex;

/** Opens a pool. Models are never bound globally: every query is given its knex or transaction. */
export function createDb(options: KnexConfigOptions): Db {
  const db = knex(knexConfig(options));
  return db;
}

/**
 * Applies pending migrations. Safe to run from several processes at once: knex takes its
 * migration lock (a row in knex_migrations_lock, updated inside the migrating transaction), so a
 * second process waits for the first to commit and then finds nothing left to run. What that
 * lock does not cover is the very first creation of knex's own tables, which two processes can
 * race on (one gets a duplicate-table error), and a lock held outside a transaction (the second
 * process gets "already locked"): both are retried.
 */
export async function migrateLatest(
  db: Db,
  options: { attempts?: number; onRetry?(error: Error, attempt: number): void } = {},
): Promise<{ batch: number; applied: string[] }> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    try {
      // knex answers [batch number, names of the migrations it applied].
      const [batch, applied] = (await db.migrate.latest()) as [number, string[]];
      return { batch, applied };
    } catch (e) {
      const { code, message } = e as { code?: string; message?: string };
      // Creating knex's own tables at once: unique_violation, duplicate_table, or duplicate_object
      // ("type knex_migrations already exists", seen in CI); a held lock: "already locked".
      const race = ['23505', '42P07', '42710'].includes(code ?? '') || /already locked/i.test(message ?? '');
      if (!race || attempt >= attempts) throw e;
      options.onRetry?.(e as Error, attempt);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Names of the migrations on disk that the database has not applied (read only: creates nothing). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const files = (await readdir(migrationsDirectory)).filter((f) => f.endsWith('.ts')).sort();
  const { rows } = (await db.raw(`select to_regclass('knex_migrations') is not null as present`)) as {
    rows: { present: boolean }[];
  };
  if (!rows[0]!.present) return files;
  const applied = new Set(((await db('knex_migrations').select('name')) as { name: string }[]).map((r) => r.name));
  return files.filter((f) => !applied.has(f));
}

/** True when every migration on disk has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  return (await pendingMigrations(db)).length === 0;
}
