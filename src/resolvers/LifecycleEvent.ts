import type { LifecycleEventResolvers } from '../__generated__/resolvers-types';
import { positionCursor } from '../events/cursor';
import { optional } from './helpers';

export const LifecycleEvent: LifecycleEventResolvers = {
  id: (event) => String(event.id),
  cursor: (event) => positionCursor(event.position!),
  runGroup: (event, _, { loaders }) => optional(loaders.runGroupById, event.runGroupId),
  run: (event, _, { loaders }) => optional(loaders.runById, event.runId),
  step: (event, _, { loaders }) => optional(loaders.stepById, event.stepId),
};
