import type { Knex } from 'knex';

const STATUSES = `('PENDING', 'RUNNING', 'COMPLETED', 'ERROR', 'FAILED', 'CANCELLED')`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lifecycle_event', (t) => {
    t.specificType('id', 'bigint generated always as identity').primary();
    // The writing transaction: readers deliver only events whose transaction can no longer be
    // in flight, so ids that commit out of order are never skipped.
    t.specificType('tx_id', 'xid8').notNullable().defaultTo(knex.raw('pg_current_xact_id()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('handler_name').nullable();
    t.uuid('batch_id').nullable().references('id').inTable('batch').onDelete('SET NULL');
    t.uuid('run_group_id').nullable().references('id').inTable('run_group').onDelete('CASCADE');
    t.uuid('run_id').nullable().references('id').inTable('run').onDelete('CASCADE');
    t.uuid('step_id').nullable().references('id').inTable('step').onDelete('CASCADE');
    t.text('step_type').nullable();
    t.text('status').notNullable();
    t.text('previous_status').nullable();
    t.text('status_message').nullable();
    t.jsonb('status_meta').notNullable().defaultTo('{}');
    t.timestamp('occurred_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(
      `type in ('GROUP_START', 'GROUP_END', 'ITEM_START', 'ITEM_END', 'ITEM_FAILED', 'STEP_START', 'STEP_END', 'STEP_FAILED')`,
      [],
      'lifecycle_event_type',
    );
    t.check(`status in ${STATUSES}`, [], 'lifecycle_event_status');
    t.index(['project_id', 'id']);
    t.index(['batch_id']);
    t.index(['run_group_id', 'id']);
    t.index(['run_id', 'id']);
    t.index(['step_id', 'id']);
    t.index(['tx_id', 'id']);
  });

  await knex.schema.createTable('llm_call', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('run_id').notNullable().references('id').inTable('run').onDelete('CASCADE');
    t.uuid('step_id').nullable().references('id').inTable('step').onDelete('CASCADE');
    t.text('provider').notNullable();
    t.text('model').notNullable();
    t.text('operation').notNullable();
    t.jsonb('params').notNullable().defaultTo('{}');
    t.integer('prompt_tokens').nullable();
    t.integer('completion_tokens').nullable();
    t.integer('total_tokens').nullable();
    t.jsonb('usage_details').notNullable().defaultTo('{}');
    t.decimal('cost_usd', 18, 8).nullable();
    t.integer('latency_ms').notNullable();
    t.integer('time_to_first_token_ms').nullable();
    t.text('status').notNullable();
    t.text('error_message').nullable();
    t.timestamp('started_at', { useTz: true, precision: 3 }).nullable();
    t.timestamp('completed_at', { useTz: true, precision: 3 }).nullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(`operation in ('CHAT', 'COMPLETION', 'EMBEDDING', 'RERANK', 'OTHER')`, [], 'llm_call_operation');
    t.check(`status in ('SUCCESS', 'ERROR')`, [], 'llm_call_status');
    t.check(`prompt_tokens >= 0 and completion_tokens >= 0 and total_tokens >= 0`, [], 'llm_call_tokens_non_negative');
    t.check(`cost_usd >= 0`, [], 'llm_call_cost_non_negative');
    t.check(`latency_ms >= 0 and time_to_first_token_ms >= 0`, [], 'llm_call_latency_non_negative');
    t.index(['project_id', 'created_at', 'id']);
    t.index(['run_id', 'created_at', 'id']);
    t.index(['step_id']);
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('stored_file', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('project_id').notNullable().references('id').inTable('project').onDelete('CASCADE');
    t.uuid('document_id').nullable().references('id').inTable('document').onDelete('CASCADE');
    t.uuid('run_id').nullable().references('id').inTable('run').onDelete('CASCADE');
    t.uuid('step_id').nullable().references('id').inTable('step').onDelete('CASCADE');
    t.uuid('llm_call_id').nullable().references('id').inTable('llm_call').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('path').notNullable().unique();
    t.text('mime_type').nullable();
    t.bigInteger('size_bytes').notNullable();
    t.text('checksum').notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.check(`num_nonnulls(document_id, run_id, step_id, llm_call_id) = 1`, [], 'stored_file_one_owner');
    t.check(`size_bytes >= 0`, [], 'stored_file_size_non_negative');
    t.check(`checksum ~ '^sha256-[0-9a-f]{64}$'`, [], 'stored_file_checksum_format');
    t.check(
      `kind in ('DOCUMENT', 'PARSED_MARKDOWN', 'PARSED_JSON', 'CHUNKS', 'EMBEDDINGS', 'RAG', 'PROMPT', 'RESPONSE', 'LOG', 'THUMBNAIL', 'OTHER')`,
      [],
      'stored_file_kind',
    );
    t.index(['project_id']);
    t.index(['document_id']);
    t.index(['run_id']);
    t.index(['step_id']);
    t.index(['llm_call_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('stored_file');
  await knex.schema.dropTable('llm_call');
  await knex.schema.dropTable('lifecycle_event');
}
