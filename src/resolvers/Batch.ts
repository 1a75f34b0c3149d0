import type { BatchResolvers, BatchStatsResolvers } from '../__generated__/resolvers-types';
import { childConnection } from '../loaders/rows';
import { related, pageArgs } from './helpers';

export const Batch: BatchResolvers = {
  project: (batch, _, { loaders }) => related(loaders.projectById, 'Project', batch.projectId),
  duration: (batch) => batch.duration ?? null,
  documents: (batch, args, { loaders }) =>
    childConnection(loaders.uriPagesByBatchId, loaders.uriCountsByBatchId, batch.id, pageArgs(args, 'time')),
  runGroups: (batch, args, { loaders }) =>
    childConnection(loaders.runGroupPagesByBatchId, loaders.runGroupCountsByBatchId, batch.id, pageArgs(args, 'time')),
  stats: (batch) => ({ batchId: batch.id }),
};

export const BatchStats: BatchStatsResolvers = {
  documentCount: ({ batchId }, _, { loaders }) => loaders.documentCountByBatchId.load(batchId),
  runCount: async ({ batchId }, _, { loaders }) => {
    const counts = await loaders.runStatusCountsByBatchId.load(batchId);
    return [...counts.values()].reduce((a, b) => a + b, 0);
  },
  runsByStatus: async ({ batchId }, _, { loaders }) => {
    const counts = await loaders.runStatusCountsByBatchId.load(batchId);
    return [...counts].map(([status, count]) => ({ status, count })).sort((a, b) => a.status.localeCompare(b.status));
  },
};
