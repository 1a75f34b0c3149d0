import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('project', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('slug').notNullable().unique();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(`slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'`, [], 'project_slug_format');
    t.check(`length(name) between 1 and 200`, [], 'project_name_length');
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('api_key', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // NULL: an admin key for every project.
    t.uuid('project_id').nullable().references('id').inTable('project').onDelete('CASCADE');
    t.text('role').notNullable();
    t.text('secret_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true, precision: 3 }).nullable();
    t.check(`role in ('READER', 'WRITER', 'ADMIN')`, [], 'api_key_role');
    t.check(`project_id is not null or role = 'ADMIN'`, [], 'api_key_global_is_admin');
    t.index(['project_id']);
  });

  // Workers name themselves (host/pod names): the id is theirs, not ours.
  await knex.schema.createTable('worker', (t) => {
    t.text('id').primary();
    t.timestamp('first_checkin_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_checkin_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(`length(id) between 1 and 200`, [], 'worker_id_length');
    t.index(['last_checkin_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('worker');
  await knex.schema.dropTable('api_key');
  await knex.schema.dropTable('project');
}
