import type { Knex } from 'knex';
import type { EventFilter } from '../__generated__/resolvers-types';
import { scopeTo, type Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { applyEventFilter } from '../loaders/filters';
import { tables } from '../loaders/tables';
import type { LogPosition } from './cursor';

export interface ReadOptions {
  limit: number;
  filter?: EventFilter | null;
  scope?: Scope;
  /** Up to and including this position (a replay that hands over to live delivery there). */
  until?: LogPosition;
  /** Only events of steps. */
  stepsOnly?: boolean;
}

/**
 * The log reader: events after `after`, in position order. Only sequenced events have a
 * position, and positions become visible in increasing order (src/events/sequencer.ts), so a
 * reader that resumes after the last position it saw misses nothing and sees nothing twice.
 * The bus, subscription replays and (through the same position keyset, src/loaders/rows.ts)
 * every query over events read this way.
 */
export async function readEvents(db: Knex, after: LogPosition, options: ReadOptions): Promise<G.LifecycleEvent[]> {
  const qb = db('lifecycle_event')
    .select(tables.lifecycleEvent.columns(db))
    .where('lifecycle_event.position', '>', after)
    .orderBy('lifecycle_event.position')
    .limit(options.limit);
  if (options.until !== undefined) qb.where('lifecycle_event.position', '<=', options.until);
  if (options.filter) applyEventFilter(qb, options.filter);
  if (options.stepsOnly) qb.whereNotNull('lifecycle_event.stepId');
  if (options.scope) scopeTo(qb, 'lifecycle_event.projectId', options.scope);
  return (await qb) as G.LifecycleEvent[];
}
