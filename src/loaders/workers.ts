import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { scopeTo, type Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import { MAX_LIST_ITEMS } from '../graphql/limits';
import type { TableSpec } from './tables';

/** A worker is its project and its name: the same name in two projects is two workers. */
export interface WorkerKey {
  projectId: string;
  id: string;
}

const cacheKeyFn = (k: WorkerKey) => `${k.projectId}/${k.id}`;

/** `(project, name) in (...)` for a batch of keys, as two array parameters. */
function whereKeys(qb: Knex.QueryBuilder, projectColumn: string, idColumn: string, keys: readonly WorkerKey[]) {
  return qb.whereRaw(`(??, ??) in (select * from unnest(?::uuid[], ?::text[]))`, [
    projectColumn,
    idColumn,
    keys.map((k) => k.projectId),
    keys.map((k) => k.id),
  ]);
}

/** step.worker: one statement per batch, in key order. */
export function workerByKeyLoader(db: Knex, spec: TableSpec, scope: Scope): DataLoader<WorkerKey, G.Worker | null> {
  return new DataLoader(
    async (keys) => {
      const qb = whereKeys(db(spec.table).select(spec.columns(db)), 'worker.project_id', 'worker.id', keys);
      scopeTo(qb, 'worker.projectId', scope);
      const rows = (await qb) as G.Worker[];
      const byKey = new Map(rows.map((r) => [cacheKeyFn(r), r]));
      return keys.map((k) => byKey.get(cacheKeyFn(k)) ?? null);
    },
    { cacheKeyFn },
  );
}

/**
 * Worker.activeSteps: the RUNNING steps of the worker (of its own project only), at most
 * MAX_LIST_ITEMS each (the list's weight in the cost). The cap is in the statement (ROW_NUMBER
 * per worker), so a worker holding thousands of steps costs PostgreSQL and Node 100 rows.
 */
export function activeStepsByWorkerLoader(db: Knex, spec: TableSpec, scope: Scope): DataLoader<WorkerKey, G.Step[]> {
  return new DataLoader(
    async (keys) => {
      const inner = whereKeys(db(spec.table).select(spec.columns(db)), 'step.project_id', 'step.worker_id', keys)
        .where('step.status', 'RUNNING')
        .select(
          db.raw(
            `row_number() over (partition by step.project_id, step.worker_id order by step.created_at, step.id) as rn`,
          ),
        );
      scopeTo(inner, 'step.projectId', scope);
      const rows = (await db
        .select('*')
        .from(inner.as('capped'))
        .where('rn', '<=', MAX_LIST_ITEMS)
        .orderBy([{ column: 'rn' }])) as (G.Step & { rn?: string })[];
      const groups = new Map<string, G.Step[]>(keys.map((k) => [cacheKeyFn(k), []]));
      for (const row of rows) {
        delete row.rn;
        groups.get(cacheKeyFn({ projectId: row.projectId, id: row.workerId! }))?.push(row);
      }
      return keys.map((k) => groups.get(cacheKeyFn(k)) ?? []);
    },
    { cacheKeyFn },
  );
}
