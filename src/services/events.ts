import type { Knex } from 'knex';
import type { LifecycleEventTypeValue } from '../models/LifecycleEvent';
import type { JsonObject, RunStatusValue, StepTypeValue } from '../models';

export interface NewEvent {
  projectId: string;
  type: LifecycleEventTypeValue;
  status: RunStatusValue;
  previousStatus?: RunStatusValue | null;
  batchId?: string | null;
  runGroupId?: string | null;
  runId?: string | null;
  stepId?: string | null;
  stepType?: StepTypeValue | null;
  statusMessage?: string | null;
  statusMeta?: JsonObject;
  handlerName?: string | null;
}

/** The channel every server process LISTENs on. */
export const EVENTS_CHANNEL = 'runledger_events';

/**
 * Writes lifecycle events inside the caller's transaction: they exist exactly when the change
 * they describe committed. The NOTIFY (delivered by PostgreSQL only on commit) is a wake-up
 * carrying the newest event id; readers take the events themselves from the table.
 */
export async function recordEvents(trx: Knex.Transaction, events: NewEvent[], options: { notify: boolean }): Promise<void> {
  if (events.length === 0) return;
  const rows = (await trx('lifecycle_event')
    .insert(events.map((e) => ({ ...e, statusMeta: JSON.stringify(e.statusMeta ?? {}) })))
    .returning('id')) as { id: number }[];
  // Off (LIVE_EVENTS=false): subscribers still get every event, from the bus's periodic read.
  if (options.notify) await trx.raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, String(rows[rows.length - 1]!.id)]);
}

/** The event a step status change is recorded as. */
export function stepEventType(status: RunStatusValue): LifecycleEventTypeValue {
  switch (status) {
    case 'RUNNING':
      return 'STEP_START';
    case 'ERROR':
    case 'FAILED':
      return 'STEP_FAILED';
    default:
      return 'STEP_END';
  }
}
