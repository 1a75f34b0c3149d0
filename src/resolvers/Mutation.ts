import type { ApiKeyResolvers, MutationResolvers } from '../__generated__/resolvers-types';
import { addDocuments, completeBatch, createBatch } from '../services/batches';
import { deleteDocumentUri } from '../services/documentUris';
import { storeFile } from '../services/files';
import { recordLlmCall } from '../services/llmCalls';
import { createApiKey, createProject, revokeApiKey } from '../services/projects';
import { cancelRunGroup, deleteRunGroup, startRunGroup } from '../services/runGroups';
import { claimNextStep, releaseStep, updateStepStatus } from '../services/steps';
import { workerCheckin } from '../services/workers';
import { primeStepRows } from '../loaders';
import { optional } from './helpers';

// Every mutation is one service call; the service owns the transaction and the rules.
export const Mutation: MutationResolvers = {
  createProject: (_, { input }, ctx) => createProject(ctx, input),
  createApiKey: (_, { input }, ctx) => createApiKey(ctx, input),
  revokeApiKey: (_, { id }, ctx) => revokeApiKey(ctx, id),
  createBatch: (_, { input }, ctx) => createBatch(ctx, input),
  addDocuments: (_, { input }, ctx) => addDocuments(ctx, input),
  completeBatch: (_, { id }, ctx) => completeBatch(ctx, id),
  startRunGroup: (_, { input }, ctx) => startRunGroup(ctx, input),
  claimNextStep: (_, { input }, ctx) =>
    claimNextStep(ctx, input, { onRows: (rows) => primeStepRows(ctx.loaders, rows) }),
  updateStepStatus: (_, { input }, ctx) => updateStepStatus(ctx, input),
  releaseStep: (_, { input }, ctx) => releaseStep(ctx, input),
  recordLlmCall: (_, { input }, ctx) => recordLlmCall(ctx, input),
  storeFile: (_, { input }, ctx) => storeFile(ctx, input),
  workerCheckin: (_, { id, projectId }, ctx) => workerCheckin(ctx, id, projectId),
  cancelRunGroup: (_, { id }, ctx) => cancelRunGroup(ctx, id),
  deleteRunGroup: (_, { id, dryRun }, ctx) => deleteRunGroup(ctx, id, dryRun ?? false),
  deleteDocumentUri: (_, { input, dryRun }, ctx) => deleteDocumentUri(ctx, input, dryRun ?? false),
};

export const ApiKey: ApiKeyResolvers = {
  project: (key, _, { loaders }) => optional(loaders.projectById, key.projectId),
};
