import type { WorkerResolvers } from '../__generated__/resolvers-types';
import { badUserInput } from '../errors';
import { firstItems } from './helpers';

export const Worker: WorkerResolvers = {
  isStale: (worker, { afterSeconds }) => {
    const limit = afterSeconds ?? 600;
    if (limit < 0) throw badUserInput('afterSeconds must be >= 0', 'afterSeconds');
    // idleSeconds comes from the database clock, so app and database clocks need not agree.
    return (worker.idleSeconds ?? 0) > limit;
  },
  leaseSeconds: (_worker, _, { config }) => config.workerLeaseSeconds,
  activeSteps: (worker, { first }, { loaders }) =>
    firstItems(loaders.activeStepsByWorker.load({ projectId: worker.projectId, id: worker.id }), first),
};
