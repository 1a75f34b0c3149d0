import type { Knex } from 'knex';
import type {
  BatchFilter,
  EventFilter,
  LlmCallFilter,
  RunFilter,
  RunGroupFilter,
} from '../__generated__/resolvers-types';
import { assertUuid } from '../graphql/ids';

// One function per GraphQL filter input, shared by top-level lists, nested pages and counts.
// Ids are validated here, before any SQL is sent.

function id(value: string | null | undefined, field: string): string | undefined {
  return value === null || value === undefined ? undefined : assertUuid(value, `filter.${field}`);
}

export function applyBatchFilter(qb: Knex.QueryBuilder, f: BatchFilter): void {
  const projectId = id(f.projectId, 'projectId');
  if (projectId) qb.where('batch.projectId', projectId);
  if (f.source != null) qb.where('batch.source', f.source);
  if (f.completed === true) qb.whereNotNull('batch.completedAt');
  if (f.completed === false) qb.whereNull('batch.completedAt');
}

export function applyRunGroupFilter(qb: Knex.QueryBuilder, f: RunGroupFilter): void {
  const projectId = id(f.projectId, 'projectId');
  const batchId = id(f.batchId, 'batchId');
  if (projectId) qb.where('run_group.projectId', projectId);
  if (batchId) qb.where('run_group.batchId', batchId);
  if (f.status?.length) qb.whereIn('run_group.status', f.status);
}

export function applyRunFilter(qb: Knex.QueryBuilder, f: RunFilter): void {
  const projectId = id(f.projectId, 'projectId');
  const runGroupId = id(f.runGroupId, 'runGroupId');
  const batchId = id(f.batchId, 'batchId');
  const documentId = id(f.documentId, 'documentId');
  if (projectId) qb.where('run.projectId', projectId);
  if (runGroupId) qb.where('run.runGroupId', runGroupId);
  if (batchId) qb.where('run.batchId', batchId);
  if (documentId) qb.where('run.documentId', documentId);
  if (f.status?.length) qb.whereIn('run.status', f.status);
}

export function applyLlmCallFilter(qb: Knex.QueryBuilder, f: LlmCallFilter): void {
  const projectId = id(f.projectId, 'projectId');
  const runGroupId = id(f.runGroupId, 'runGroupId');
  const runId = id(f.runId, 'runId');
  const stepId = id(f.stepId, 'stepId');
  if (projectId) qb.where('llm_call.projectId', projectId);
  if (runGroupId)
    qb.whereIn('llm_call.runId', (sub: Knex.QueryBuilder) => {
      sub.select('run.id').from('run').where('run.runGroupId', runGroupId);
    });
  if (runId) qb.where('llm_call.runId', runId);
  if (stepId) qb.where('llm_call.stepId', stepId);
  if (f.provider != null) qb.where('llm_call.provider', f.provider);
  if (f.model != null) qb.where('llm_call.model', f.model);
  if (f.status != null) qb.where('llm_call.status', f.status);
  if (f.since != null) qb.where('llm_call.createdAt', '>=', f.since);
  if (f.until != null) qb.where('llm_call.createdAt', '<', f.until);
}

export function applyEventFilter(qb: Knex.QueryBuilder, f: EventFilter): void {
  const projectId = id(f.projectId, 'projectId');
  const batchId = id(f.batchId, 'batchId');
  const runGroupId = id(f.runGroupId, 'runGroupId');
  const runId = id(f.runId, 'runId');
  if (projectId) qb.where('lifecycle_event.projectId', projectId);
  if (batchId) qb.where('lifecycle_event.batchId', batchId);
  if (runGroupId) qb.where('lifecycle_event.runGroupId', runGroupId);
  if (runId) qb.where('lifecycle_event.runId', runId);
  if (f.stepTypes?.length) qb.whereIn('lifecycle_event.stepType', f.stepTypes);
}
