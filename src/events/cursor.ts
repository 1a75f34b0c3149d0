import { badUserInput } from '../errors';
import { decodeCursor, encodeCursor } from '../graphql/pagination';

/**
 * A position in the event log in delivery order: (writing transaction id, event id). Readers
 * only take events whose transaction is older than every transaction still running
 * (`pg_snapshot_xmin`), so no event can later appear behind a position already passed.
 */
export interface LogPosition {
  /** xid8 as a decimal string (it can exceed 2^53). */
  txId: string;
  id: number;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  const ta = BigInt(a.txId);
  const tb = BigInt(b.txId);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id - b.id;
}

export function positionCursor(p: LogPosition): string {
  return encodeCursor({ kind: 'event', id: p.id, txId: p.txId });
}

export function parsePositionCursor(cursor: string, field = 'after'): LogPosition {
  const key = decodeCursor(cursor, 'event', field);
  if (key.kind !== 'event') throw badUserInput(`${field} is not an event cursor`, field);
  return { txId: key.txId, id: key.id };
}
