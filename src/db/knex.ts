import knex, { type Knex } from 'knex';

import { knexConfig, type KnexConfigOptions } from './knexConfig';

export type Db = Knex;

/** Opens a pool. Models are never bound globally: every query is given its knex or transaction. */
export function createDb(options: KnexConfigOptions): Db {
  const db = knex(knexConfig(options));
  return db;
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest();
}

/** True when every migration on disk has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
  return pending.length === 0;
}
