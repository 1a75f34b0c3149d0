import type { Knex } from 'knex';
import type { BatchFilter, EventFilter, RunFilter } from '../__generated__/resolvers-types';
import type { Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { documentCountLoader, fileContentLoader, runStatusCountsLoader } from './aggregates';
import { applyBatchFilter, applyRunFilter } from './filters';
import { byIdLoader, byParentLoader, childCountLoader, childPageLoader } from './rows';
import { tables } from './tables';

/**
 * Every batched read of one request. Built per request (and per subscription event), so no
 * cache outlives the request that filled it.
 */
export function createLoaders(db: Knex, scope: Scope) {
  return {
    projectById: byIdLoader<G.Project>(db, tables.project, scope),
    batchById: byIdLoader<G.Batch>(db, tables.batch, scope),
    documentById: byIdLoader<G.Document>(db, tables.document, scope),
    runGroupById: byIdLoader<G.RunGroup>(db, tables.runGroup, scope),
    runById: byIdLoader<G.Run>(db, tables.run, scope),
    stepById: byIdLoader<G.Step>(db, tables.step, scope),
    stepConfigById: byIdLoader<G.StepConfig>(db, tables.stepConfig, scope),
    llmCallById: byIdLoader<G.LlmCall>(db, tables.llmCall, scope),
    storedFileById: byIdLoader<G.StoredFile>(db, tables.storedFile, scope),
    workerById: byIdLoader<G.Worker>(db, tables.worker, scope),

    urisByDocumentId: byParentLoader<G.DocumentUri>(db, tables.documentUri, 'documentId', scope),
    historyByDocumentUriId: byParentLoader<G.DocumentUriVersion>(db, tables.documentUriVersion, 'documentUriId', scope, {
      orderBy: ['document_uri_version.version'],
    }),
    stepsByRunId: byParentLoader<G.Step>(db, tables.step, 'runId', scope, { orderBy: ['step.number'] }),
    llmCallsByStepId: byParentLoader<G.LlmCall>(db, tables.llmCall, 'stepId', scope),
    activeStepsByWorkerId: byParentLoader<G.Step>(db, tables.step, 'workerId', scope, {
      where: (qb) => qb.where('step.status', 'RUNNING'),
    }),
    filesByDocumentId: byParentLoader<G.StoredFile>(db, tables.storedFile, 'documentId', scope),
    filesByRunId: byParentLoader<G.StoredFile>(db, tables.storedFile, 'runId', scope),
    filesByStepId: byParentLoader<G.StoredFile>(db, tables.storedFile, 'stepId', scope),
    filesByLlmCallId: byParentLoader<G.StoredFile>(db, tables.storedFile, 'llmCallId', scope),
    fileContent: fileContentLoader(db, scope),

    batchPagesByProjectId: childPageLoader<G.Batch, BatchFilter>(db, tables.batch, 'projectId', scope, applyBatchFilter),
    batchCountsByProjectId: childCountLoader<BatchFilter>(db, tables.batch, 'projectId', scope, applyBatchFilter),
    uriPagesByBatchId: childPageLoader<G.DocumentUri>(db, tables.documentUri, 'batchId', scope),
    uriCountsByBatchId: childCountLoader(db, tables.documentUri, 'batchId', scope),
    runGroupPagesByBatchId: childPageLoader<G.RunGroup>(db, tables.runGroup, 'batchId', scope),
    runGroupCountsByBatchId: childCountLoader(db, tables.runGroup, 'batchId', scope),
    runPagesByRunGroupId: childPageLoader<G.Run, RunFilter>(db, tables.run, 'runGroupId', scope, applyRunFilter),
    runCountsByRunGroupId: childCountLoader<RunFilter>(db, tables.run, 'runGroupId', scope, applyRunFilter),
    runPagesByDocumentId: childPageLoader<G.Run, RunFilter>(db, tables.run, 'documentId', scope, applyRunFilter),
    runCountsByDocumentId: childCountLoader<RunFilter>(db, tables.run, 'documentId', scope, applyRunFilter),
    eventPagesByRunGroupId: childPageLoader<G.LifecycleEvent, EventFilter>(db, tables.lifecycleEvent, 'runGroupId', scope),
    eventCountsByRunGroupId: childCountLoader<EventFilter>(db, tables.lifecycleEvent, 'runGroupId', scope),
    eventPagesByRunId: childPageLoader<G.LifecycleEvent, EventFilter>(db, tables.lifecycleEvent, 'runId', scope),
    eventCountsByRunId: childCountLoader<EventFilter>(db, tables.lifecycleEvent, 'runId', scope),
    llmCallPagesByRunId: childPageLoader<G.LlmCall>(db, tables.llmCall, 'runId', scope),
    llmCallCountsByRunId: childCountLoader(db, tables.llmCall, 'runId', scope),

    runStatusCountsByRunGroupId: runStatusCountsLoader(db, 'runGroupId', scope),
    runStatusCountsByBatchId: runStatusCountsLoader(db, 'batchId', scope),
    documentCountByBatchId: documentCountLoader(db, scope),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
