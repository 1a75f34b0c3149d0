import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per (project, mutation, key): the first call's input hash and result.
  await knex.schema.createTable('idempotency_key', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.text('operation').notNullable();
    t.text('key').notNullable();
    t.text('request_hash').notNullable();
    t.jsonb('result').nullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['project_id', 'operation', 'key']);
    t.index(['created_at']);
    t.check(`length(key) between 1 and 200`, [], 'idempotency_key_length');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_key');
}
