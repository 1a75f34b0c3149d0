import type {
  RunGroupResolvers,
  RunProgressResolvers,
  RunResolvers,
  StepResolvers,
} from '../__generated__/resolvers-types';
import type * as G from '../graphql/mappers';
import { countsOf, progressOf } from '../loaders/aggregates';
import { childConnection } from '../loaders/rows';
import { children, firstItems, optional, pageArgs, related } from './helpers';

export const RunGroup: RunGroupResolvers = {
  project: (group, _, { loaders }) => related(loaders.projectById, 'Project', group.projectId),
  batch: (group, _, { loaders }) => optional(loaders.batchById, group.batchId),
  duration: (group) => group.duration ?? null,
  runs: (group, args, { loaders }) =>
    childConnection(loaders.runPagesByRunGroupId, loaders.runCountsByRunGroupId, group.id, pageArgs(args, 'time')),
  progress: async (group, _, { loaders }) =>
    progressOf(
      group.statusCounts ? countsOf(group.statusCounts) : await loaders.runStatusCountsByRunGroupId.load(group.id),
    ),
  events: (group, args, { loaders }) =>
    childConnection(loaders.eventPagesByRunGroupId, loaders.eventCountsByRunGroupId, group.id, pageArgs(args, 'event')),
};

export const RunProgress: RunProgressResolvers = {
  fractionDone: (p) => (p.total === 0 ? 0 : (p.completed + p.failed + p.cancelled) / p.total),
};

export const Run: RunResolvers = {
  project: (run, _, { loaders }) => related(loaders.projectById, 'Project', run.projectId),
  runGroup: (run, _, { loaders }) => related(loaders.runGroupById, 'RunGroup', run.runGroupId),
  batch: (run, _, { loaders }) => optional(loaders.batchById, run.batchId),
  document: (run, _, { loaders }) => related(loaders.documentById, 'Document', run.documentId),
  duration: (run) => run.duration ?? null,
  steps: (run, { first }, { loaders }) => firstItems(children(loaders.stepsByRunId, run.id), first),
  events: (run, args, { loaders }) =>
    childConnection(loaders.eventPagesByRunId, loaders.eventCountsByRunId, run.id, pageArgs(args, 'event')),
  llmCalls: (run, args, { loaders }) =>
    childConnection(loaders.llmCallPagesByRunId, loaders.llmCallCountsByRunId, run.id, pageArgs(args, 'time')),
  files: (run, { first }, { loaders }) => firstItems(loaders.filesByRunId.load(run.id), first),
};

export const Step: StepResolvers = {
  run: (step, _, { loaders }) => related(loaders.runById, 'Run', step.runId),
  config: (step, _, { loaders }) => optional(loaders.stepConfigById, step.stepConfigId),
  worker: (step, _, { loaders }) => {
    if (step.workerId === null) return null;
    // step (project_id, worker_id) references worker (project_id, id): the row exists.
    if (loaders.keyOnly('Worker')) return { id: step.workerId, projectId: step.projectId } as G.Worker;
    return loaders.workerByKey.load({ projectId: step.projectId, id: step.workerId });
  },
  duration: (step) => step.duration ?? null,
  llmCalls: (step, { first }, { loaders }) => firstItems(children(loaders.llmCallsByStepId, step.id), first),
  files: (step, { first }, { loaders }) => firstItems(loaders.filesByStepId.load(step.id), first),
};
