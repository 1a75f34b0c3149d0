import type { Knex } from 'knex';

// Retention (src/services/retention.ts) deletes by age in small batches: each needs an index on
// its age column (how far events were pruned is event_log_head.pruned_through, see events/cursor.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index lifecycle_event_occurred_at_index on lifecycle_event (occurred_at)`);
  await knex.raw(`create index step_config_created_at_index on step_config (created_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index step_config_created_at_index`);
  await knex.raw(`drop index lifecycle_event_occurred_at_index`);
}
