import type { LifecycleEventResolvers } from '../__generated__/resolvers-types';
import { eventCursor } from '../graphql/pagination';
import { optional } from './helpers';

export const LifecycleEvent: LifecycleEventResolvers = {
  id: (event) => String(event.id),
  cursor: (event) => eventCursor(event),
  runGroup: (event, _, { loaders }) => optional(loaders.runGroupById, event.runGroupId),
  run: (event, _, { loaders }) => optional(loaders.runById, event.runId),
  step: (event, _, { loaders }) => optional(loaders.stepById, event.stepId),
};
