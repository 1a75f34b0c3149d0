import type { Knex } from 'knex';

const STATUSES = `('PENDING', 'RUNNING', 'COMPLETED', 'ERROR', 'FAILED', 'CANCELLED')`;
const STEP_TYPES = `('INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE')`;

function statusColumns(knex: Knex, t: Knex.CreateTableBuilder, table: string): void {
  t.text('status').notNullable().defaultTo('PENDING');
  t.text('status_message').nullable();
  t.jsonb('status_meta').notNullable().defaultTo('{}');
  t.timestamp('status_at', { useTz: true, precision: 3 }).nullable();
  t.timestamp('started_at', { useTz: true, precision: 3 }).nullable();
  t.timestamp('completed_at', { useTz: true, precision: 3 }).nullable();
  t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
  t.check(`status in ${STATUSES}`, [], `${table}_status`);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('step_config', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('step_type').notNullable();
    t.jsonb('config').notNullable().defaultTo('{}');
    t.jsonb('cumulative_config').nullable();
    // sha256 of the canonical JSON of (step_type, config, cumulative_config): identical configs are stored once.
    t.text('content_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(`step_type in ${STEP_TYPES}`, [], 'step_config_step_type');
  });

  await knex.schema.createTable('config_set', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('yaml_id').notNullable();
    t.text('yaml_contents').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.index(['yaml_id']);
  });

  await knex.schema.createTable('config_set_item', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('config_set_id').notNullable().references('id').inTable('config_set').onDelete('CASCADE');
    t.uuid('step_config_id').notNullable().references('id').inTable('step_config').onDelete('CASCADE');
    t.unique(['config_set_id', 'step_config_id']);
    t.index(['step_config_id']);
  });

  await knex.schema.createTable('run_group', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('batch_id').nullable().references('id').inTable('batch').onDelete('SET NULL');
    t.text('name').nullable();
    t.text('workflow_definition_id').notNullable();
    t.text('param_definition_id').nullable();
    t.integer('priority').notNullable().defaultTo(0);
    t.jsonb('params').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    statusColumns(knex, t, 'run_group');
    t.index(['project_id', 'created_at', 'id']);
    t.index(['batch_id', 'created_at', 'id']);
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('run', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('run_group_id').notNullable().references('id').inTable('run_group').onDelete('CASCADE');
    t.uuid('batch_id').nullable().references('id').inTable('batch').onDelete('SET NULL');
    t.uuid('document_id').notNullable().references('id').inTable('document').onDelete('CASCADE');
    t.text('workflow_definition_id').notNullable();
    t.integer('priority').notNullable().defaultTo(0);
    t.jsonb('params').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    statusColumns(knex, t, 'run');
    t.index(['run_group_id', 'created_at', 'id']);
    t.index(['project_id', 'created_at', 'id']);
    t.index(['batch_id']);
    t.index(['document_id', 'created_at', 'id']);
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('step', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('run_id').notNullable().references('id').inTable('run').onDelete('CASCADE');
    t.integer('number').notNullable();
    t.text('name').notNullable();
    t.text('type').notNullable();
    t.uuid('step_config_id').nullable().references('id').inTable('step_config').onDelete('RESTRICT');
    t.boolean('is_last_step').notNullable().defaultTo(false);
    t.integer('priority').notNullable().defaultTo(0);
    t.integer('retry').notNullable().defaultTo(0);
    t.integer('max_retries').notNullable().defaultTo(0);
    t.text('worker_id').nullable().references('id').inTable('worker').onDelete('SET NULL');
    t.integer('version').notNullable().defaultTo(1);
    statusColumns(knex, t, 'step');
    t.unique(['run_id', 'number']);
    t.check(`number >= 1`, [], 'step_number_positive');
    t.check(`type in ${STEP_TYPES}`, [], 'step_type');
    t.check(`retry >= 0 and max_retries >= 0`, [], 'step_retries_non_negative');
    t.index(['step_config_id']);
    t.index(['worker_id']);
    t.index(['project_id']);
  });
  // Claiming scans only claimable steps, most urgent first.
  await knex.raw(
    `create index step_claimable_idx on step (priority desc, created_at, id) where status in ('PENDING', 'ERROR')`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('step');
  await knex.schema.dropTable('run');
  await knex.schema.dropTable('run_group');
  await knex.schema.dropTable('config_set_item');
  await knex.schema.dropTable('config_set');
  await knex.schema.dropTable('step_config');
}
