import type { Knex } from 'knex';
import type { EventFilter } from '../__generated__/resolvers-types';
import { scopeTo, type Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { applyEventFilter } from '../loaders/filters';
import { tables } from '../loaders/tables';
import type { LogPosition } from './cursor';

const SAFE = 'lifecycle_event.tx_id < pg_snapshot_xmin(pg_current_snapshot())';

/**
 * Events after `after` whose writing transaction has ended, in (tx_id, id) order. Events of a
 * transaction still running, or of one that started after the oldest running one, wait: they
 * are read on a later call, never skipped.
 */
export async function readEvents(
  db: Knex,
  after: LogPosition,
  options: { limit: number; filter?: EventFilter | null; scope?: Scope; until?: LogPosition; stepsOnly?: boolean } = {
    limit: 500,
  },
): Promise<G.LifecycleEvent[]> {
  const qb = db('lifecycle_event')
    .select(tables.lifecycleEvent.columns(db))
    .whereRaw('lifecycle_event.tx_id >= ?::xid8', [after.txId])
    .whereRaw('(lifecycle_event.tx_id, lifecycle_event.id) > (?::xid8, ?)', [after.txId, after.id])
    .whereRaw(SAFE)
    .orderByRaw('lifecycle_event.tx_id, lifecycle_event.id')
    .limit(options.limit);
  if (options.until) {
    qb.whereRaw('(lifecycle_event.tx_id, lifecycle_event.id) <= (?::xid8, ?)', [options.until.txId, options.until.id]);
  }
  if (options.filter) applyEventFilter(qb, options.filter);
  if (options.stepsOnly) qb.whereNotNull('lifecycle_event.stepId');
  if (options.scope) scopeTo(qb, 'lifecycle_event.projectId', options.scope);
  return (await qb) as G.LifecycleEvent[];
}

/** The position before every event not yet safe to deliver: where a live reader starts. */
export async function headPosition(db: Knex): Promise<LogPosition> {
  const row = (await db.raw(`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`)).rows[0] as {
    xmin: string;
  };
  return { txId: row.xmin, id: 0 };
}

/**
 * The bus's read: like readEvents (every event after `after`, no filter), plus whether events
 * exist that are not yet safe, in one statement. Rows come in (tx_id, id) order, so the safe
 * ones are a prefix; the first unsafe row means "look again soon".
 */
export async function readLog(
  db: Knex,
  after: LogPosition,
  limit: number,
): Promise<{ events: G.LifecycleEvent[]; waiting: boolean }> {
  const rows = (await db('lifecycle_event')
    .select([...tables.lifecycleEvent.columns(db), db.raw(`${SAFE} as safe`)])
    .whereRaw('lifecycle_event.tx_id >= ?::xid8', [after.txId])
    .whereRaw('(lifecycle_event.tx_id, lifecycle_event.id) > (?::xid8, ?)', [after.txId, after.id])
    .orderByRaw('lifecycle_event.tx_id, lifecycle_event.id')
    .limit(limit)) as (G.LifecycleEvent & { safe?: boolean })[];
  const firstUnsafe = rows.findIndex((r) => !r.safe);
  const events = firstUnsafe === -1 ? rows : rows.slice(0, firstUnsafe);
  for (const e of events) delete e.safe;
  return { events, waiting: firstUnsafe !== -1 };
}

/** Whether the cursor names an event the caller may see: another project's is as unknown as a made-up one. */
export async function eventExists(db: Knex, position: LogPosition, scope: Scope): Promise<boolean> {
  const qb = db('lifecycle_event').where('id', position.id).whereRaw('tx_id = ?::xid8', [position.txId]).first('id');
  scopeTo(qb, 'lifecycle_event.projectId', scope);
  const row = await qb;
  return row !== undefined;
}
