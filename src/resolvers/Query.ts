import type { QueryResolvers } from '../__generated__/resolvers-types';
import { badUserInput, notFound } from '../errors';
import { assertHash, assertUuid } from '../graphql/ids';
import {
  applyBatchFilter,
  applyEventFilter,
  applyLlmCallFilter,
  applyRunFilter,
  applyRunGroupFilter,
} from '../loaders/filters';
import { findDocumentByHash, findDocumentByUri, listWorkers, llmUsage } from '../loaders/lookups';
import { listConnection } from '../loaders/rows';
import { tables } from '../loaders/tables';
import { listSize, memo, pageArgs, required } from './helpers';
import { assertResumable } from '../events/cursor';

export const Query: QueryResolvers = {
  project: (_, { id }, { loaders }) => required(loaders.projectById, 'Project', id),
  projects: (_, args, { db, scope }) => memo(listConnection(db, tables.project, scope, pageArgs(args, 'time'))),

  batch: (_, { id }, { loaders }) => required(loaders.batchById, 'Batch', id),
  batches: (_, args, { db, scope }) =>
    memo(listConnection(db, tables.batch, scope, pageArgs(args, 'time'), applyBatchFilter)),

  document: (_, { id }, { loaders }) => required(loaders.documentById, 'Document', id),
  documentByHash: async (_, { projectId, hash }, { db, scope }) => {
    const doc = await findDocumentByHash(db, scope, assertUuid(projectId, 'projectId'), assertHash(hash, 'hash'));
    if (!doc) throw notFound('Document', hash);
    return doc;
  },
  documentByUri: async (_, { projectId, source, uri }, { db, scope }) => {
    const doc = await findDocumentByUri(db, scope, { projectId: assertUuid(projectId, 'projectId'), source, uri });
    if (!doc) throw notFound('Document', `${source}:${uri}`);
    return doc;
  },

  runGroup: (_, { id }, { loaders }) => required(loaders.runGroupById, 'RunGroup', id),
  runGroups: (_, args, { db, scope }) =>
    memo(listConnection(db, tables.runGroup, scope, pageArgs(args, 'time'), applyRunGroupFilter)),
  run: (_, { id }, { loaders }) => required(loaders.runById, 'Run', id),
  runs: (_, args, { db, scope }) => memo(listConnection(db, tables.run, scope, pageArgs(args, 'time'), applyRunFilter)),
  step: (_, { id }, { loaders }) => required(loaders.stepById, 'Step', id),

  llmCall: (_, { id }, { loaders }) => required(loaders.llmCallById, 'LlmCall', id),
  llmCalls: (_, args, { db, scope }) =>
    memo(listConnection(db, tables.llmCall, scope, pageArgs(args, 'time'), applyLlmCallFilter)),
  llmUsage: (_, { filter, groupBy, first }, { db, scope }) =>
    llmUsage(db, scope, filter ?? null, groupBy, listSize(first)),

  lifecycleEvents: async (_, args, { db, scope }) => {
    const page = pageArgs(args, 'event');
    // The subscriptions' rule: a position within retention, whether or not its event still exists.
    if (page.after?.kind === 'event') await assertResumable(db, page.after.position);
    return memo(listConnection(db, tables.lifecycleEvent, scope, page, applyEventFilter));
  },

  storedFile: (_, { id }, { loaders }) => required(loaders.storedFileById, 'StoredFile', id),

  workers: (_, { staleAfterSeconds, first }, { db, scope }) => {
    if (staleAfterSeconds != null && staleAfterSeconds < 0) {
      throw badUserInput('staleAfterSeconds must be >= 0', 'staleAfterSeconds');
    }
    return listWorkers(db, scope, staleAfterSeconds ?? null, listSize(first));
  },
};
