import type { Knex } from 'knex';
import { afterCommit, afterCommitOnce } from '../db/transaction';
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
  /** See LifecycleEvent.revokedWorkerId: never from client input. */
  revokedWorkerId?: string | null;
}

/** The channel every server process LISTENs on. */
export const EVENTS_CHANNEL = 'runledger_events';

/**
 * A committed change that made steps claimable, told to this process's waiting claims at once
 * (before the log has it): `key` names the event the log delivers later (see claimableKey).
 */
export interface ClaimableHint {
  key: string;
  projectId: string;
  runGroupId: string;
  types: StepTypeValue[];
}

/** The key of a claimable-making event, as its writer and the log's reader both compute it. */
export function claimableKey(event: Pick<NewEvent, 'type' | 'status' | 'runGroupId' | 'stepId'>): string | null {
  if (event.type === 'GROUP_START') return `G:${event.runGroupId}`;
  if (event.type === 'STEP_END' && event.status === 'COMPLETED') return `C:${event.stepId}`;
  if (event.type === 'STEP_FAILED' && event.status === 'ERROR') return `E:${event.stepId}`;
  return null;
}

/** Who hears about committed events: the server wires it to its EventNotifier. */
export interface EventsSink {
  /** Called once per transaction that recorded events, after it commits (awaited). */
  onEventsCommitted?(): void | Promise<void>;
  /** Called after the commit, before onEventsCommitted, for each change that made steps claimable. */
  onClaimable?(hint: ClaimableHint): void;
}

/**
 * Tells this process's waiting claims, once the transaction commits, that `hint`'s steps are
 * claimable. Registered before the events' own announcement (hooks run in order), so a waiting
 * claim starts while the log is still being sequenced.
 */
export function claimableAfterCommit(trx: Knex.Transaction, sink: EventsSink, hint: ClaimableHint): void {
  const tell = sink.onClaimable;
  if (tell && hint.types.length > 0) afterCommit(trx, () => tell(hint));
}

/**
 * Writes lifecycle events inside the caller's transaction: they exist exactly when the change
 * they describe committed. Readers take them from the table; the sink only hears, after the
 * commit, that there is something new to read (never for a rolled-back write).
 */
export async function recordEvents(trx: Knex.Transaction, events: NewEvent[], sink: EventsSink): Promise<void> {
  if (events.length === 0) return;
  await insertEvents(trx, events);
  eventsWritten(trx, sink);
}

/**
 * The insert of `events`, unsent: a write may carry it as a CTE of its own statement
 * (`.with('event', insertEvents(trx, events))`), one round trip instead of two; the caller then
 * calls `eventsWritten`. Inside the statement that changes the row the events describe, they
 * still get their ids while that row is locked (see src/events/sequencer.ts).
 */
export function insertEvents(trx: Knex.Transaction, events: NewEvent[]): Knex.QueryBuilder {
  return trx('lifecycle_event').insert(events.map((e) => ({ ...e, statusMeta: JSON.stringify(e.statusMeta ?? {}) })));
}

/** For events inserted by a statement of the caller's own: the sink hears once, after commit. */
export function eventsWritten(trx: Knex.Transaction, sink: EventsSink): void {
  const notify = sink.onEventsCommitted;
  if (notify) afterCommitOnce(trx, sink, notify);
}

/**
 * For events a statement outside any transaction committed (see singleStatement): the sink
 * hears now; `wait: false` goes on without waiting for it (see TransactionOptions.detachHooks).
 */
export async function eventsCommitted(sink: EventsSink, { wait }: { wait: boolean }): Promise<void> {
  const notify = sink.onEventsCommitted;
  if (!notify) return;
  // Like a transaction's hook: it only announces what committed; a failure is not the write's.
  const heard = Promise.resolve()
    .then(notify)
    .catch(() => undefined);
  if (wait) await heard;
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
