import type { Knex } from 'knex';
import type { BatchFilter, EventFilter, RunFilter } from '../__generated__/resolvers-types';
import type { Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { documentCountLoader, fileContentLoader, runStatusCountsLoader } from './aggregates';
import { applyBatchFilter, applyRunFilter } from './filters';
import { byIdLoader, byParentLoader, childCountLoader, childPageLoader } from './rows';
import { tables } from './tables';

/** How each batched read is made; createLoaders makes one only when a resolver first asks. */
const factories = {
  projectById: (db: Knex, scope: Scope) => byIdLoader<G.Project>(db, tables.project, scope),
  batchById: (db: Knex, scope: Scope) => byIdLoader<G.Batch>(db, tables.batch, scope),
  documentById: (db: Knex, scope: Scope) => byIdLoader<G.Document>(db, tables.document, scope),
  runGroupById: (db: Knex, scope: Scope) => byIdLoader<G.RunGroup>(db, tables.runGroup, scope),
  runById: (db: Knex, scope: Scope) => byIdLoader<G.Run>(db, tables.run, scope),
  stepById: (db: Knex, scope: Scope) => byIdLoader<G.Step>(db, tables.step, scope),
  stepConfigById: (db: Knex, scope: Scope) => byIdLoader<G.StepConfig>(db, tables.stepConfig, scope),
  llmCallById: (db: Knex, scope: Scope) => byIdLoader<G.LlmCall>(db, tables.llmCall, scope),
  storedFileById: (db: Knex, scope: Scope) => byIdLoader<G.StoredFile>(db, tables.storedFile, scope),
  workerById: (db: Knex, scope: Scope) => byIdLoader<G.Worker>(db, tables.worker, scope),

  urisByDocumentId: (db: Knex, scope: Scope) =>
    byParentLoader<G.DocumentUri>(db, tables.documentUri, 'documentId', scope),
  historyByDocumentUriId: (db: Knex, scope: Scope) =>
    byParentLoader<G.DocumentUriVersion>(db, tables.documentUriVersion, 'documentUriId', scope, {
      orderBy: ['document_uri_version.version'],
    }),
  stepsByRunId: (db: Knex, scope: Scope) =>
    byParentLoader<G.Step>(db, tables.step, 'runId', scope, { orderBy: ['step.number'] }),
  llmCallsByStepId: (db: Knex, scope: Scope) => byParentLoader<G.LlmCall>(db, tables.llmCall, 'stepId', scope),
  activeStepsByWorkerId: (db: Knex, scope: Scope) =>
    byParentLoader<G.Step>(db, tables.step, 'workerId', scope, {
      where: (qb) => qb.where('step.status', 'RUNNING'),
    }),
  filesByDocumentId: (db: Knex, scope: Scope) =>
    byParentLoader<G.StoredFile>(db, tables.storedFile, 'documentId', scope),
  filesByRunId: (db: Knex, scope: Scope) => byParentLoader<G.StoredFile>(db, tables.storedFile, 'runId', scope),
  filesByStepId: (db: Knex, scope: Scope) => byParentLoader<G.StoredFile>(db, tables.storedFile, 'stepId', scope),
  filesByLlmCallId: (db: Knex, scope: Scope) => byParentLoader<G.StoredFile>(db, tables.storedFile, 'llmCallId', scope),
  fileContent: (db: Knex, scope: Scope) => fileContentLoader(db, scope),

  batchPagesByProjectId: (db: Knex, scope: Scope) =>
    childPageLoader<G.Batch, BatchFilter>(db, tables.batch, 'projectId', scope, applyBatchFilter),
  batchCountsByProjectId: (db: Knex, scope: Scope) =>
    childCountLoader<BatchFilter>(db, tables.batch, 'projectId', scope, applyBatchFilter),
  uriPagesByBatchId: (db: Knex, scope: Scope) =>
    childPageLoader<G.DocumentUri>(db, tables.documentUri, 'batchId', scope),
  uriCountsByBatchId: (db: Knex, scope: Scope) => childCountLoader(db, tables.documentUri, 'batchId', scope),
  runGroupPagesByBatchId: (db: Knex, scope: Scope) =>
    childPageLoader<G.RunGroup>(db, tables.runGroup, 'batchId', scope),
  runGroupCountsByBatchId: (db: Knex, scope: Scope) => childCountLoader(db, tables.runGroup, 'batchId', scope),
  runPagesByRunGroupId: (db: Knex, scope: Scope) =>
    childPageLoader<G.Run, RunFilter>(db, tables.run, 'runGroupId', scope, applyRunFilter),
  runCountsByRunGroupId: (db: Knex, scope: Scope) =>
    childCountLoader<RunFilter>(db, tables.run, 'runGroupId', scope, applyRunFilter),
  runPagesByDocumentId: (db: Knex, scope: Scope) =>
    childPageLoader<G.Run, RunFilter>(db, tables.run, 'documentId', scope, applyRunFilter),
  runCountsByDocumentId: (db: Knex, scope: Scope) =>
    childCountLoader<RunFilter>(db, tables.run, 'documentId', scope, applyRunFilter),
  eventPagesByRunGroupId: (db: Knex, scope: Scope) =>
    childPageLoader<G.LifecycleEvent, EventFilter>(db, tables.lifecycleEvent, 'runGroupId', scope),
  eventCountsByRunGroupId: (db: Knex, scope: Scope) =>
    childCountLoader<EventFilter>(db, tables.lifecycleEvent, 'runGroupId', scope),
  eventPagesByRunId: (db: Knex, scope: Scope) =>
    childPageLoader<G.LifecycleEvent, EventFilter>(db, tables.lifecycleEvent, 'runId', scope),
  eventCountsByRunId: (db: Knex, scope: Scope) =>
    childCountLoader<EventFilter>(db, tables.lifecycleEvent, 'runId', scope),
  llmCallPagesByRunId: (db: Knex, scope: Scope) => childPageLoader<G.LlmCall>(db, tables.llmCall, 'runId', scope),
  llmCallCountsByRunId: (db: Knex, scope: Scope) => childCountLoader(db, tables.llmCall, 'runId', scope),

  runStatusCountsByRunGroupId: (db: Knex, scope: Scope) => runStatusCountsLoader(db, 'runGroupId', scope),
  runStatusCountsByBatchId: (db: Knex, scope: Scope) => runStatusCountsLoader(db, 'batchId', scope),
  documentCountByBatchId: (db: Knex, scope: Scope) => documentCountLoader(db, scope),
};

export type Loaders = { readonly [K in keyof typeof factories]: ReturnType<(typeof factories)[K]> };

class LazyLoaders {
  constructor(
    readonly db: Knex,
    readonly scope: Scope,
  ) {}
}
for (const [name, make] of Object.entries(factories) as [string, (db: Knex, scope: Scope) => unknown][]) {
  Object.defineProperty(LazyLoaders.prototype, name, {
    get(this: LazyLoaders) {
      const loader = make(this.db, this.scope);
      Object.defineProperty(this, name, { value: loader, enumerable: true });
      return loader;
    },
  });
}

/**
 * Every batched read of one request. Built per request (and per subscription event), so no
 * cache outlives the request that filled it; a request builds only the loaders it uses
 * (a page uses a handful of the ~40).
 */
export function createLoaders(db: Knex, scope: Scope): Loaders {
  return new LazyLoaders(db, scope) as unknown as Loaders;
}
