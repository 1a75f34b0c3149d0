import type { Knex } from 'knex';

// A worker claims within its project (the SDK always names it). Walking claimable steps of every
// project in priority order made one team's backlog every other team's cost: a claim read, and
// filtered out, each older claimable step of other projects before reaching its own.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index step_claimable_by_project_idx on step (project_id, priority desc, created_at, id) where status in ('PENDING', 'ERROR')`,
  );
  await knex.raw(`drop index step_claimable_idx`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    `create index step_claimable_idx on step (priority desc, created_at, id) where status in ('PENDING', 'ERROR')`,
  );
  await knex.raw(`drop index step_claimable_by_project_idx`);
}
