import { badUserInput } from '../errors';
import { isUuid } from './ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`, 'first');
  }
  return first;
}

/**
 * The sort key a cursor carries. Most lists are ordered by (createdAt, id); lifecycle events by
 * their position in the log (src/events/cursor.ts), for queries and subscriptions alike.
 */
export type Keyset = { kind: 'time'; createdAt: Date; id: string } | { kind: 'event'; position: number };

const PREFIX = { time: 't', event: 'e' } as const;

export function encodeCursor(key: Keyset): string {
  const parts = key.kind === 'time' ? [PREFIX.time, key.createdAt.toISOString(), key.id] : [PREFIX.event, key.position];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Opaque on the way out, validated on the way in: a cursor of the wrong kind is BAD_USER_INPUT. */
export function decodeCursor(cursor: string, kind: Keyset['kind'], field = 'after'): Keyset {
  const invalid = () => badUserInput(`${field} is not a valid cursor for this list`, field);
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parts) || parts.length < 2 || parts.length > 3) throw invalid();
  const [prefix, a, b] = parts as unknown[];
  if (kind === 'time' && prefix === PREFIX.time && typeof a === 'string' && typeof b === 'string' && isUuid(b)) {
    const createdAt = new Date(a);
    if (!Number.isNaN(createdAt.getTime())) return { kind, createdAt, id: b };
  }
  if (
    kind === 'event' &&
    prefix === PREFIX.event &&
    parts.length === 2 &&
    Number.isSafeInteger(a) &&
    (a as number) >= 0
  ) {
    return { kind, position: a as number };
  }
  throw invalid();
}
