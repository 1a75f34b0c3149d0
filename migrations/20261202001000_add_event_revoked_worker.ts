import type { Knex } from 'knex';

/**
 * The worker a step event took a RUNNING step from, written by the server alone: set when the
 * change was not that worker's own (an operator's or a group's cancel, a takeover by another
 * worker, a failure as lost), null otherwise. stepsRevoked is matched on it, never on the
 * client-written status_meta or on handler_name (which names the holder whoever cancelled).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lifecycle_event', (t) => {
    t.text('revoked_worker_id').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lifecycle_event', (t) => {
    t.dropColumn('revoked_worker_id');
  });
}
