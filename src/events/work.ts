import DataLoader from 'dataloader';
import type { WorkFilter, WorkReason } from '../__generated__/resolvers-types';
import { inScope, type Scope } from '../auth/scope';
import { rawRows } from '../db/raw';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import type { StepTypeValue } from '../models';
import { canonicalJson } from '../services/canonical';
import { claimableKey } from '../services/lifecycleEvents';
import type { Db } from '../db/knex';
import type { EventBatch } from './batch';
import type { EventBus } from './bus';
import { PushQueue } from './queue';

export interface WorkSource {
  db: Db;
  scope: Scope;
  bus: EventBus;
  /** False once the subscriber's key was revoked or expired: nothing more is delivered. */
  admitted?(): boolean;
  /** See SubscriptionSource. */
  maxQueuedEvents?: number;
  behind?(): void;
}

/** What workAvailable sends. */
export interface WorkSignal {
  reason: WorkReason;
  projectId: string;
  runGroupId: string;
  stepTypes: StepTypeValue[];
  /** The event's claimableKey (not in the schema): claimedStep skips a signal it was hinted already. */
  key: string;
}

/** The reason an event makes steps claimable, or null when it does not. */
function reasonOf(event: G.LifecycleEvent): WorkReason | null {
  if (event.type === 'GROUP_START') return 'GROUP_START';
  if (event.stepId === null || event.runGroupId === null) return null;
  if (event.type === 'STEP_END' && event.status === 'COMPLETED') return 'STEP_COMPLETED';
  if (event.type === 'STEP_FAILED' && event.status === 'ERROR') return 'RETRY';
  return null;
}

interface TypeLookups {
  /** The type of the step after a step (none after the last one). */
  nextTypeByStepId: DataLoader<string, StepTypeValue[]>;
  /** The types of the first steps of a group's runs. */
  firstTypesByGroupId: DataLoader<string, StepTypeValue[]>;
}

/**
 * One set per batch of events the bus read (keyed by that batch), shared by every
 * worker subscription of the process: a signal costs one statement per batch, whatever the
 * number of idle workers.
 */
const lookupsByBatch = new WeakMap<EventBatch, TypeLookups>();

function lookups(db: Db, batch: EventBatch): TypeLookups {
  let found = lookupsByBatch.get(batch);
  if (!found) {
    found = {
      nextTypeByStepId: new DataLoader(async (ids) => {
        const rows = await rawRows<{ id: string; type: StepTypeValue }>(
          db,
          `select s.id, n.type from step s join step n on n.run_id = s.run_id and n.number = s.number + 1
           where s.id = any(?::uuid[])`,
          [ids],
        );
        const byId = new Map(rows.map((r) => [r.id, [r.type]]));
        return ids.map((id) => byId.get(id) ?? []);
      }),
      firstTypesByGroupId: new DataLoader(async (ids) => {
        const rows = await rawRows<{ runGroupId: string; types: StepTypeValue[] }>(
          db,
          `select r.run_group_id, array_agg(distinct s.type) as types from run r
           join step s on s.run_id = r.id and s.number = 1
           where r.run_group_id = any(?::uuid[]) group by r.run_group_id`,
          [ids],
        );
        const byId = new Map(rows.map((r) => [r.runGroupId, r.types]));
        return ids.map((id) => byId.get(id) ?? []);
      }),
    };
    lookupsByBatch.set(batch, found);
  }
  return found;
}

/** The types of the steps the event made claimable. */
function claimableTypes(
  db: Db,
  event: G.LifecycleEvent,
  reason: WorkReason,
  batch: EventBatch,
): Promise<StepTypeValue[]> {
  if (reason === 'RETRY') return Promise.resolve(event.stepType ? [event.stepType] : []);
  const l = lookups(db, batch);
  return reason === 'GROUP_START'
    ? l.firstTypesByGroupId.load(event.runGroupId!)
    : l.nextTypeByStepId.load(event.stepId!);
}

/**
 * Signals for idle workers: one per committed event that made matching steps claimable.
 * `known`: true for an event's claimableKey the caller heard of already (claimedStep's hints):
 * no signal, and no lookup of its types.
 */
export function workStream(
  source: WorkSource,
  input: WorkFilter,
  known?: (key: string) => boolean,
): PushQueue<WorkSignal> {
  const projectId = input.projectId == null ? null : assertUuid(input.projectId, 'filter.projectId');
  const runGroupId = input.runGroupId == null ? null : assertUuid(input.runGroupId, 'filter.runGroupId');
  const stepTypes = input.stepTypes?.length ? [...new Set(input.stepTypes)].sort() : null;
  const key = canonicalJson({ work: { projectId, runGroupId, stepTypes }, scope: source.scope.projectIds });
  const queue = new PushQueue<WorkSignal>(
    () => handle.remove(),
    source.maxQueuedEvents,
    () => source.behind?.(),
  );
  // Lookups start at once (events of one batch share a statement); signals leave in event order.
  let tail: Promise<unknown> = Promise.resolve();
  const handle = source.bus.listen(
    key,
    (e) =>
      reasonOf(e) !== null &&
      inScope(source.scope, e.projectId) &&
      (projectId === null || e.projectId === projectId) &&
      (runGroupId === null || e.runGroupId === runGroupId),
    (event, _position, batch) => {
      if (source.admitted && !source.admitted()) return;
      const signalKey = claimableKey(event)!;
      if (known?.(signalKey)) return;
      const reason = reasonOf(event)!;
      const types = claimableTypes(source.db, event, reason, batch);
      tail = tail
        .then(() => types)
        .then(
          (types) => {
            const matching = stepTypes ? types.filter((t) => stepTypes.includes(t)) : types;
            if (matching.length === 0) return;
            queue.push({
              reason,
              projectId: event.projectId,
              runGroupId: event.runGroupId!,
              stepTypes: matching,
              key: signalKey,
            });
          },
          (e: unknown) => queue.fail(e),
        );
    },
  );
  return queue;
}
