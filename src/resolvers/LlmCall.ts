import type { LlmCallResolvers } from '../__generated__/resolvers-types';
import { optional, related } from './helpers';

export const LlmCall: LlmCallResolvers = {
  project: (call, _, { loaders }) => related(loaders.projectById, 'Project', call.projectId),
  step: (call, _, { loaders }) => optional(loaders.stepById, call.stepId),
  run: (call, _, { loaders }) => optional(loaders.runById, call.runId),
  // Prompt and response of many calls come from one statement.
  promptFile: async (call, _, { loaders }) =>
    (await loaders.filesByLlmCallId.load(call.id)).find((f) => f.kind === 'PROMPT') ?? null,
  responseFile: async (call, _, { loaders }) =>
    (await loaders.filesByLlmCallId.load(call.id)).find((f) => f.kind === 'RESPONSE') ?? null,
};
