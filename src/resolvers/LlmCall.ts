import type { LlmCallResolvers } from '../__generated__/resolvers-types';
import type { StoredFile } from '../graphql/mappers';
import { children, optional, related } from './helpers';

function fileOf(
  files: StoredFile[] | Promise<StoredFile[]>,
  kind: string,
): StoredFile | null | Promise<StoredFile | null> {
  const pick = (list: StoredFile[]) => list.find((f) => f.kind === kind) ?? null;
  return Array.isArray(files) ? pick(files) : files.then(pick);
}

export const LlmCall: LlmCallResolvers = {
  project: (call, _, { loaders }) => related(loaders.projectById, 'Project', call.projectId),
  step: (call, _, { loaders }) => optional(loaders.stepById, call.stepId),
  run: (call, _, { loaders }) => optional(loaders.runById, call.runId),
  // Prompt and response of many calls come from one statement.
  promptFile: (call, _, { loaders }) => fileOf(children(loaders.filesByLlmCallId, call.id), 'PROMPT'),
  responseFile: (call, _, { loaders }) => fileOf(children(loaders.filesByLlmCallId, call.id), 'RESPONSE'),
};
