import type { StepRevocationReason } from '../__generated__/resolvers-types';
import { inScope, type Scope } from '../auth/scope';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import type { RunStatusValue } from '../models';
import { assertWorkerId } from '../services/workers';
import { canonicalJson } from '../services/canonical';
import type { EventBus } from './bus';
import { PushQueue } from './queue';

export interface RevocationSource {
  scope: Scope;
  bus: EventBus;
  /** False once the subscriber's key was revoked or expired: nothing more is delivered. */
  admitted?(): boolean;
  /** See SubscriptionSource. */
  maxQueuedEvents?: number;
  behind?(): void;
}

/** What stepsRevoked sends. */
export interface StepRevocationSignal {
  stepId: string;
  reason: StepRevocationReason;
  status: RunStatusValue;
  statusMessage: string | null;
}

/** How a RUNNING step taken from its worker ended up, by the status the change gave it. */
const REASONS: Partial<Record<RunStatusValue, StepRevocationReason>> = {
  CANCELLED: 'CANCELLED',
  RUNNING: 'TAKEN_OVER',
  FAILED: 'LOST',
};

/**
 * The worker a step event took a RUNNING step from, and how; null for every other event (the
 * holder's own reports and claims among them). Read from the server-written revokedWorkerId
 * alone (see writeStatus in services/steps.ts and cancelRunGroup): statusMeta is the reporter's
 * free-form JSON, and handlerName names the holder whoever cancelled.
 */
function revocationOf(e: G.LifecycleEvent): { from: string; reason: StepRevocationReason } | null {
  if (e.stepId === null || !e.revokedWorkerId) return null;
  const reason = REASONS[e.status];
  return reason ? { from: e.revokedWorkerId, reason } : null;
}

/**
 * Live signals for one worker: the steps taken from it. Matching needs nothing but the event
 * (no statement per event), and one bus listener serves every subscription of the same worker.
 */
export function revocationStream(
  source: RevocationSource,
  args: { workerId: string; projectId?: string | null },
): PushQueue<StepRevocationSignal> {
  const workerId = assertWorkerId(args.workerId);
  const projectId = args.projectId == null ? null : assertUuid(args.projectId, 'projectId');
  const key = canonicalJson({ revocations: { workerId, projectId }, scope: source.scope.projectIds });
  const queue = new PushQueue<StepRevocationSignal>(
    () => handle.remove(),
    source.maxQueuedEvents,
    () => source.behind?.(),
  );
  const handle = source.bus.listen(
    key,
    (e) =>
      inScope(source.scope, e.projectId) &&
      (projectId === null || e.projectId === projectId) &&
      revocationOf(e)?.from === workerId,
    (event) => {
      if (source.admitted && !source.admitted()) return;
      queue.push({
        stepId: event.stepId!,
        reason: revocationOf(event)!.reason,
        status: event.status,
        statusMessage: event.statusMessage,
      });
    },
  );
  return queue;
}
