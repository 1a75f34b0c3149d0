import type { Knex } from 'knex';

// startRunGroup inserts up to 50,000 runs x their steps in one statement; random UUIDs scatter
// those inserts over the whole primary-key index. On PostgreSQL 18+ runs and steps take
// time-ordered UUIDs (uuidv7(), still made by the database), which append to it instead.
// Older servers keep gen_random_uuid().
const TABLES = ['run', 'step'];

async function hasUuidv7(knex: Knex): Promise<boolean> {
  const { rows } = (await knex.raw(`select current_setting('server_version_num')::int >= 180000 as ok`)) as {
    rows: { ok: boolean }[];
  };
  return rows[0]!.ok;
}

export async function up(knex: Knex): Promise<void> {
  if (await hasUuidv7(knex)) {
    for (const table of TABLES) await knex.raw(`alter table ?? alter column id set default uuidv7()`, [table]);
  }
  // Most steps never have a worker (pending, or created in bulk): index only those that do.
  // ON DELETE SET NULL's `where worker_id = $1` still uses the partial index.
  await knex.raw(`drop index step_worker_id_index`);
  await knex.raw(`create index step_worker_id_index on step (worker_id) where worker_id is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index step_worker_id_index`);
  await knex.raw(`create index step_worker_id_index on step (worker_id)`);
  for (const table of TABLES) await knex.raw(`alter table ?? alter column id set default gen_random_uuid()`, [table]);
}
