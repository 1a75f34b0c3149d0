import type { Knex } from 'knex';

/**
 * Who runs retention (src/services/retention.ts): one row, taken by a replica's pass until
 * expires_at and renewed inside each of its batches' transactions. A row rather than a session
 * advisory lock, which a transaction-mode pooler (PgBouncer) would leave on whichever server
 * connection the statement happened to land on.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table retention_lease (
      name text primary key,
      holder text,
      expires_at timestamptz not null default '-infinity'
    )`);
  await knex.raw(`insert into retention_lease (name) values ('retention')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table retention_lease`);
}
