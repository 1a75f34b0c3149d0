import type { Knex } from 'knex';

/** An API key may expire: after `expires_at` it authenticates nothing, on HTTP and WebSocket alike. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_key', (t) => {
    t.timestamp('expires_at', { useTz: true, precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_key', (t) => {
    t.dropColumn('expires_at');
  });
}
