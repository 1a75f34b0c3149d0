import type { Knex } from 'knex';

const HASH_FORMAT = `~ '^sha256-[0-9a-f]{64}$'`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('batch', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('source').notNullable();
    t.jsonb('params').notNullable().defaultTo('{}');
    t.timestamp('started_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true, precision: 3 }).nullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at', 'id']);
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('document', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.text('hash').notNullable();
    t.text('mime_type').notNullable();
    t.bigInteger('file_size').nullable();
    t.jsonb('meta').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['project_id', 'hash']);
    t.check(`hash ${HASH_FORMAT}`, [], 'document_hash_format');
    t.check(`file_size >= 0`, [], 'document_file_size_non_negative');
  });

  await knex.schema.createTable('document_uri', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('document_id').notNullable().references('id').inTable('document').onDelete('CASCADE');
    t.text('source').notNullable();
    t.text('uri').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.uuid('batch_id').nullable().references('id').inTable('batch').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['project_id', 'source', 'uri']);
    t.check(`version >= 1`, [], 'document_uri_version_positive');
    t.index(['document_id']);
    t.index(['batch_id', 'created_at', 'id']);
  });

  await knex.schema.createTable('document_uri_version', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('document_uri_id').notNullable().references('id').inTable('document_uri').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('hash').notNullable();
    t.text('action').notNullable();
    t.uuid('batch_id').nullable().references('id').inTable('batch').onDelete('SET NULL');
    t.jsonb('meta').notNullable().defaultTo('{}');
    t.timestamp('processed_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.unique(['document_uri_id', 'version']);
    t.check(`hash ${HASH_FORMAT}`, [], 'document_uri_version_hash_format');
    t.check(`action in ('CREATED', 'UPDATED', 'DELETED')`, [], 'document_uri_version_action');
    t.check(`version >= 1`, [], 'document_uri_version_version_positive');
    t.index(['batch_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('document_uri_version');
  await knex.schema.dropTable('document_uri');
  await knex.schema.dropTable('document');
  await knex.schema.dropTable('batch');
}
