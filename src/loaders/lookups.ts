import type { Knex } from 'knex';
import type { LlmCallFilter, LlmUsageGroupBy } from '../__generated__/resolvers-types';
import { scopeTo, type Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { applyLlmCallFilter } from './filters';
import { tables } from './tables';

// Top-level reads that are not keyed by id: one statement each.

export async function findDocumentByHash(
  db: Knex,
  scope: Scope,
  projectId: string,
  hash: string,
): Promise<G.Document | null> {
  const qb = db('document')
    .select(tables.document.columns(db))
    .where({ 'document.projectId': projectId, 'document.hash': hash });
  scopeTo(qb, 'document.projectId', scope);
  return ((await qb.first()) as G.Document | undefined) ?? null;
}

export async function findDocumentByUri(
  db: Knex,
  scope: Scope,
  key: { projectId: string; source: string; uri: string },
): Promise<G.Document | null> {
  const qb = db('document')
    .select(tables.document.columns(db))
    .join('document_uri', 'document_uri.documentId', 'document.id')
    .where({ 'document_uri.projectId': key.projectId, 'document_uri.source': key.source, 'document_uri.uri': key.uri });
  scopeTo(qb, 'document_uri.projectId', scope);
  return ((await qb.first()) as G.Document | undefined) ?? null;
}

/** The workers of the caller's projects. */
export async function listWorkers(
  db: Knex,
  scope: Scope,
  staleAfterSeconds: number | null,
  limit: number,
): Promise<G.Worker[]> {
  const qb = db('worker')
    .select(tables.worker.columns(db))
    .orderBy('worker.lastCheckinAt', 'desc')
    .orderBy('worker.id')
    .orderBy('worker.projectId')
    .limit(limit);
  scopeTo(qb, 'worker.projectId', scope);
  if (staleAfterSeconds !== null)
    qb.whereRaw(`worker.last_checkin_at < now() - make_interval(secs => ?)`, [staleAfterSeconds]);
  return (await qb) as G.Worker[];
}

const usageKeys: Record<LlmUsageGroupBy, string> = {
  MODEL: 'llm_call.model',
  PROVIDER: 'llm_call.provider',
  OPERATION: 'llm_call.operation',
  DAY: `to_char(llm_call.created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  RUN_GROUP: 'run.run_group_id::text',
};

/** Usage aggregated by the database, percentiles included: no call is loaded into memory. */
export async function llmUsage(
  db: Knex,
  scope: Scope,
  filter: LlmCallFilter | null,
  groupBy: LlmUsageGroupBy,
  limit: number,
): Promise<G.LlmUsage[]> {
  const key = usageKeys[groupBy];
  const qb = db('llm_call').select(
    db.raw(`${key} as key`),
    db.raw('count(*)::int8 as calls'),
    db.raw(`count(*) filter (where llm_call.status = 'ERROR')::int8 as errors`),
    db.raw('coalesce(sum(llm_call.prompt_tokens), 0)::int8 as prompt_tokens'),
    db.raw('coalesce(sum(llm_call.completion_tokens), 0)::int8 as completion_tokens'),
    db.raw('coalesce(sum(llm_call.total_tokens), 0)::int8 as total_tokens'),
    db.raw('coalesce(sum(llm_call.cost_usd), 0)::float8 as cost_usd'),
    db.raw('percentile_cont(0.5) within group (order by llm_call.latency_ms) as latency_ms_p50'),
    db.raw('percentile_cont(0.95) within group (order by llm_call.latency_ms) as latency_ms_p95'),
  );
  if (groupBy === 'RUN_GROUP') qb.join('run', 'run.id', 'llm_call.runId');
  scopeTo(qb, 'llm_call.projectId', scope);
  if (filter) applyLlmCallFilter(qb, filter);
  qb.groupByRaw('1').orderByRaw('cost_usd desc, 1').limit(limit);
  return (await qb) as G.LlmUsage[];
}
