import type { StepStatusEventResolvers, SubscriptionResolvers } from '../__generated__/resolvers-types';
import { claimStream } from '../events/claims';
import { positionCursor } from '../events/cursor';
import { runGroupProgressStream } from '../events/progress';
import { eventStream, type Delivery } from '../events/subscriptions';
import { revocationStream, type StepRevocationSignal } from '../events/revocations';
import { workStream, type WorkSignal } from '../events/work';
import type * as G from '../graphql/mappers';
import { progressOf } from '../loaders/aggregates';
import { related } from './helpers';

// Each event executes with a context of its own: its fields read through the loaders of the
// batch it was delivered in (eventContext, src/context.ts).
export const Subscription: SubscriptionResolvers = {
  stepStatusChanged: {
    subscribe: (_, { filter, after }, ctx) => eventStream(ctx, { filter, after, stepsOnly: true }),
    resolve: (delivery: Delivery): G.StepStatusEvent => ({ event: delivery.event }),
  },
  lifecycleEvents: {
    subscribe: (_, { filter, after }, ctx) => eventStream(ctx, { filter, after, stepsOnly: false }),
    resolve: (delivery: Delivery): G.LifecycleEvent => delivery.event,
  },
  runGroupProgress: {
    subscribe: (_, { runGroupId }, ctx) => runGroupProgressStream(ctx, runGroupId),
    resolve: (progress: G.RunProgress) => progress,
  },
  workAvailable: {
    subscribe: (_, { filter }, ctx) => workStream(ctx, filter),
    resolve: (signal: WorkSignal) => signal,
  },
  claimedStep: {
    subscribe: (_, { input }, ctx) => claimStream(ctx, input),
    resolve: (step: G.Step) => step,
  },
  stepsRevoked: {
    subscribe: (_, args, ctx) => revocationStream(ctx, args),
    resolve: (signal: StepRevocationSignal) => signal,
  },
};

export const StepStatusEvent: StepStatusEventResolvers = {
  cursor: ({ event }) => positionCursor(event.position!),
  // A step's event is written with its step's project, run and id, and only events in the
  // subscriber's scope arrive here: asked for nothing but the ids, the event answers them
  // (no read of the step or run per event).
  step: ({ event }, _, { loaders }) =>
    loaders.keyOnly('Step')
      ? ({ id: event.stepId!, projectId: event.projectId, runId: event.runId! } as G.Step)
      : related(loaders.stepById, 'Step', event.stepId!),
  run: ({ event }, _, { loaders }) =>
    loaders.keyOnly('Run')
      ? ({ id: event.runId!, projectId: event.projectId } as G.Run)
      : related(loaders.runById, 'Run', event.runId!),
  previousStatus: ({ event }) => event.previousStatus,
  status: ({ event }) => event.status,
  runGroupProgress: async ({ event }, _, { loaders }) =>
    progressOf(await loaders.runStatusCountsByRunGroupId.load(event.runGroupId!)),
};
