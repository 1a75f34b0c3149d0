import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { scopeTo, type Scope } from '../auth/scope';
import type { RunProgress } from '../graphql/mappers';
import type { RunStatusValue } from '../models';
import { whereAny } from './rows';

export type StatusCounts = Map<RunStatusValue, number>;

/** Runs by status for many parents (run groups or batches): one GROUP BY statement. */
export function runStatusCountsLoader(db: Knex, parentColumn: 'runGroupId' | 'batchId', scope: Scope) {
  return new DataLoader<string, StatusCounts>(async (parentIds) => {
    const qb = db('run')
      .select({ parentId: `run.${parentColumn}`, status: 'run.status' })
      .count({ count: '*' })
      .groupBy(`run.${parentColumn}`, 'run.status');
    whereAny(qb, `run.${parentColumn}`, parentIds);
    scopeTo(qb, 'run.projectId', scope);
    const rows = (await qb) as { parentId: string; status: RunStatusValue; count: number }[];
    const byParent = new Map<string, StatusCounts>(parentIds.map((id) => [id, new Map()]));
    for (const row of rows) byParent.get(row.parentId)?.set(row.status, row.count);
    return parentIds.map((id) => byParent.get(id)!);
  });
}

/** Counts read as a JSON object of PostgreSQL's (status -> count). */
export function countsOf(byStatus: Partial<Record<RunStatusValue, number>>): StatusCounts {
  return new Map(Object.entries(byStatus) as [RunStatusValue, number][]);
}

export function progressOf(counts: StatusCounts): RunProgress {
  const get = (s: RunStatusValue) => counts.get(s) ?? 0;
  return {
    total: [...counts.values()].reduce((a, b) => a + b, 0),
    pending: get('PENDING'),
    running: get('RUNNING'),
    completed: get('COMPLETED'),
    error: get('ERROR'),
    failed: get('FAILED'),
    cancelled: get('CANCELLED'),
  };
}

/** URIs a batch created or last updated, for many batches in one statement. */
export function documentCountLoader(db: Knex, scope: Scope) {
  return new DataLoader<string, number>(async (batchIds) => {
    const qb = db('document_uri')
      .select({ batchId: 'document_uri.batchId' })
      .count({ count: '*' })
      .groupBy('document_uri.batchId');
    whereAny(qb, 'document_uri.batchId', batchIds);
    scopeTo(qb, 'document_uri.projectId', scope);
    const counts = new Map(((await qb) as { batchId: string; count: number }[]).map((r) => [r.batchId, r.count]));
    return batchIds.map((id) => counts.get(id) ?? 0);
  });
}

export interface ContentKey {
  id: string;
  maxBytes: number | null;
}

/** A stored file's bytes (or only their start), loaded only when a query asks for `content`. */
export function fileContentLoader(db: Knex, scope: Scope) {
  const cacheKey = (k: ContentKey) => `${k.id}:${k.maxBytes ?? ''}`;
  return new DataLoader<ContentKey, Buffer | null, string>(
    async (keys) => {
      const results = new Map<string, Buffer>();
      const byLimit = new Map<number | null, string[]>();
      for (const k of keys) byLimit.set(k.maxBytes, [...(byLimit.get(k.maxBytes) ?? []), k.id]);
      for (const [maxBytes, ids] of byLimit) {
        const content =
          maxBytes === null
            ? 'stored_file.content'
            : db.raw('substring(stored_file.content from 1 for ?) as content', [maxBytes]);
        const qb = whereAny(db('stored_file').select('stored_file.id', content), 'stored_file.id', ids);
        scopeTo(qb, 'stored_file.projectId', scope);
        for (const row of (await qb) as { id: string; content: Buffer }[]) {
          results.set(cacheKey({ id: row.id, maxBytes }), row.content);
        }
      }
      return keys.map((k) => results.get(cacheKey(k)) ?? null);
    },
    { cacheKeyFn: cacheKey },
  );
}
