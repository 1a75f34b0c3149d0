import type { Knex } from 'knex';

// Rollups settle a run group from its runs (services/rollups.ts, GROUP_RULE) with a few
// existence probes by (run_group_id, status): the same cost for 1 run as for 50,000.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index run_run_group_id_status_index on run (run_group_id, status)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index run_run_group_id_status_index`);
}
