import type { ProjectResolvers } from '../__generated__/resolvers-types';
import { childConnection } from '../loaders/rows';
import { pageArgs } from './helpers';

export const Project: ProjectResolvers = {
  batches: (project, args, { loaders }) =>
    childConnection(loaders.batchPagesByProjectId, loaders.batchCountsByProjectId, project.id, pageArgs(args, 'time')),
};
