import type { LlmCallResolvers } from '../__generated__/resolvers-types';
import type { StoredFile } from '../graphql/mappers';
import { children, optional, related } from './helpers';

// Called twice per LLM call of a page (thousands): no closure when the files are loaded already
// (each closure also costs a __name call under tsx).
function fileOf(
  files: StoredFile[] | Promise<StoredFile[]>,
  kind: string,
): StoredFile | null | Promise<StoredFile | null> {
  return Array.isArray(files) ? pick(files, kind) : files.then((list) => pick(list, kind));
}

function pick(files: StoredFile[], kind: string): StoredFile | null {
  for (const file of files) if (file.kind === kind) return file;
  return null;
}

export const LlmCall: LlmCallResolvers = {
  project: (call, _, { loaders }) => related(loaders.projectById, 'Project', call.projectId),
  step: (call, _, { loaders }) => optional(loaders.stepById, call.stepId),
  run: (call, _, { loaders }) => optional(loaders.runById, call.runId),
  // Prompt and response of many calls come from one statement.
  promptFile: (call, _, { loaders }) => fileOf(children(loaders.filesByLlmCallId, call.id), 'PROMPT'),
  responseFile: (call, _, { loaders }) => fileOf(children(loaders.filesByLlmCallId, call.id), 'RESPONSE'),
};
