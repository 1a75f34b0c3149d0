import type { Knex } from 'knex';
import { badUserInput } from '../errors';
import { decodeCursor, encodeCursor } from '../graphql/pagination';

/**
 * A position in the event log: the number the sequencer gave an event after it committed
 * (src/events/sequencer.ts). Positions become visible in increasing order, and the events of
 * one step, run or group have them in commit order, so "everything after position p" is the
 * whole rule for resuming, for queries and subscriptions alike. A cursor is a position, not a
 * row: it stays valid when its event is deleted, as long as it is within retention.
 */
export type LogPosition = number;

export function positionCursor(position: LogPosition): string {
  return encodeCursor({ kind: 'event', position });
}

export function parsePositionCursor(cursor: string, field = 'after'): LogPosition {
  const key = decodeCursor(cursor, 'event', field);
  if (key.kind !== 'event') throw badUserInput(`${field} is not an event cursor`, field);
  return key.position;
}

/** Only events the sequencer has numbered: what every reader of the log may see. */
export function sequencedOnly(qb: Knex.QueryBuilder): void {
  qb.whereNotNull('lifecycle_event.position');
}

export interface LogBounds {
  /** The last position given out. */
  head: LogPosition;
  /** Events at or before this position may have been pruned (retention). */
  prunedThrough: LogPosition;
}

export async function logBounds(db: Knex): Promise<LogBounds> {
  const row = (await db('event_log_head').first('position', 'prunedThrough')) as
    { position: number; prunedThrough: number } | undefined;
  return { head: row?.position ?? 0, prunedThrough: row?.prunedThrough ?? 0 };
}

/**
 * A cursor may resume while its position is within the log's retention, whether or not its
 * event still exists: a position after the head was never given out (BAD_USER_INPUT); one
 * before the pruned range lost events in between (BAD_USER_INPUT, reason CURSOR_EXPIRED).
 */
export async function assertResumable(db: Knex, position: LogPosition, field = 'after'): Promise<void> {
  const bounds = await logBounds(db);
  if (position > bounds.head) {
    throw badUserInput(`${field} is not a position of this event log (it is past the newest event)`, field);
  }
  if (position < bounds.prunedThrough) {
    throw badUserInput(
      `${field} is older than the event log's retention: events after it were pruned; start again without a cursor`,
      field,
      { reason: 'CURSOR_EXPIRED' },
    );
  }
}

/**
 * For pruning (retention): records that events up to `position` may be gone, so cursors before
 * it are refused from now on. Call in the transaction that deletes them.
 */
export async function markPruned(trx: Knex.Transaction, position: LogPosition): Promise<void> {
  await trx('event_log_head').update({ prunedThrough: trx.raw('greatest(pruned_through, ?)', [position]) });
}
