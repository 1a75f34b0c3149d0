import type { EventFilter } from '../__generated__/resolvers-types';
import { inScope, type Scope } from '../auth/scope';
import type { Db } from '../db/knex';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { canonicalJson } from '../services/canonical';
import { EventBatch } from './batch';
import type { EventBus } from './bus';
import { assertResumable, parsePositionCursor, type LogPosition } from './cursor';
import { readEvents } from './log';
import { PushQueue } from './queue';

export interface SubscriptionSource {
  db: Db;
  scope: Scope;
  bus: EventBus;
  /** False once the subscriber's key was revoked or expired: nothing more is delivered. */
  admitted?(): boolean;
  /**
   * SUBSCRIPTION_MAX_QUEUED_EVENTS: events waiting for the subscriber, and live events held back
   * while a replay runs, each at most this many. @default 2000
   */
  maxQueuedEvents?: number;
  /** The subscriber fell behind one of those limits: the transport closes it (WebSocket: 4008). */
  behind?(): void;
}

/** Events a replay reads per statement. */
const REPLAY_PAGE = 500;

export interface EventStreamOptions {
  filter: EventFilter;
  /** A cursor of an earlier event: replay everything after it, then go live. */
  after: string | null | undefined;
  /** Only events of steps (for stepStatusChanged). */
  stepsOnly: boolean;
}

function checkedFilter(filter: EventFilter): EventFilter {
  const id = (v: string | null | undefined, field: string) => (v == null ? null : assertUuid(v, `filter.${field}`));
  return {
    projectId: id(filter.projectId, 'projectId'),
    batchId: id(filter.batchId, 'batchId'),
    runGroupId: id(filter.runGroupId, 'runGroupId'),
    runId: id(filter.runId, 'runId'),
    stepTypes: filter.stepTypes?.length ? [...filter.stepTypes].sort() : null,
  };
}

/** The same rules as the SQL filter (applyEventFilter), for events arriving live. */
function matcher(filter: EventFilter, scope: Scope, stepsOnly: boolean) {
  return (e: G.LifecycleEvent): boolean =>
    inScope(scope, e.projectId) &&
    (!stepsOnly || e.stepId !== null) &&
    (filter.projectId == null || e.projectId === filter.projectId) &&
    (filter.batchId == null || e.batchId === filter.batchId) &&
    (filter.runGroupId == null || e.runGroupId === filter.runGroupId) &&
    (filter.runId == null || e.runId === filter.runId) &&
    (filter.stepTypes == null || (e.stepType !== null && filter.stepTypes.includes(e.stepType)));
}

export interface Delivery {
  event: G.LifecycleEvent;
  position: LogPosition;
  /** The batch the event came in: its fields load once per scope for every subscriber of it. */
  batch: EventBatch;
}

/**
 * A live stream of matching events. With `after`, it first replays the log from that cursor up
 * to the bus's position at the moment it started listening, holding live events back until the
 * replay is done: no gap and no duplicate at the switch.
 */
export async function eventStream(
  source: SubscriptionSource,
  options: EventStreamOptions,
): Promise<PushQueue<Delivery>> {
  const filter = checkedFilter(options.filter);
  let from: LogPosition | null = null;
  if (options.after != null) {
    from = parsePositionCursor(options.after);
    // A position, not a row: valid within retention whether or not its event still exists.
    await assertResumable(source.db, from);
  }

  const key = canonicalJson({ filter, scope: source.scope.projectIds, stepsOnly: options.stepsOnly });
  let held: Delivery[] | null = from ? [] : null;
  // Never behind what was delivered: a cursor from a replica whose bus is ahead of this one's
  // must not see those events twice.
  let last: LogPosition = 0;
  const deliver = (d: Delivery) => {
    if (source.admitted && !source.admitted()) return;
    if (d.position <= last) return;
    last = d.position;
    queue.push(d);
  };
  const maxQueued = source.maxQueuedEvents ?? 2000;
  const queue: PushQueue<Delivery> = new PushQueue(
    () => handle.remove(),
    maxQueued,
    () => source.behind?.(),
  );
  const handle = source.bus.listen(key, matcher(filter, source.scope, options.stepsOnly), (event, position, batch) => {
    if (!held) return deliver({ event, position, batch });
    // The replay is slower than the live stream (its subscriber reads slowly, or the backlog is
    // long): past the limit it ends here, and the client resumes from its last cursor.
    if (held.length >= maxQueued) return queue.behind();
    held.push({ event, position, batch });
  });
  last = from ?? handle.position;

  if (from) {
    const until = handle.position;
    // The replay goes at the subscriber's pace: at most this many of its events wait at once.
    const highWater = Math.max(1, Math.min(REPLAY_PAGE, Math.floor(maxQueued / 2)));
    void (async () => {
      let cursor = from;
      for (;;) {
        if (queue.isClosed) return;
        const page = await readEvents(source.db, cursor, {
          limit: REPLAY_PAGE,
          filter,
          scope: source.scope,
          until,
          stepsOnly: options.stepsOnly,
        });
        const batch = new EventBatch(source.db);
        for (const event of page) {
          cursor = event.position!;
          deliver({ event, position: cursor, batch });
          if (queue.length >= highWater) await queue.below(highWater);
          if (queue.isClosed) return;
        }
        if (page.length < REPLAY_PAGE) break;
      }
      // The events held meanwhile, at the same pace; live delivery takes over once none is left
      // (events arriving during the handover join the end of the held list).
      for (let d = held!.shift(); d; d = held!.shift()) {
        deliver(d);
        if (queue.length >= highWater) await queue.below(highWater);
        if (queue.isClosed) return;
      }
      held = null;
    })().catch((e: unknown) => queue.fail(e));
  }
  return queue;
}
