import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import { scopeTo, type Scope } from '../auth/scope';
import type { Page } from '../graphql/connection';
import { encodeCursor, type Keyset } from '../graphql/pagination';
import type { TableSpec } from './tables';
import { sequencedOnly } from '../events/cursor';

/** Narrows a query by a GraphQL filter input; the same function serves top-level lists and nested pages. */
export type ApplyFilter<F> = (qb: Knex.QueryBuilder, filter: F) => void;

export interface PageArgs<F> {
  first: number;
  after: Keyset | null;
  filter: F | null;
}

/**
 * `column = ANY($1)`: the keys travel as one array parameter. A `whereIn` of a page's keys is
 * one bind parameter per key (3,000 for a page's LLM calls) that knex numbers, pg encodes and
 * PostgreSQL parses and plans one by one. PostgreSQL types the array from the column.
 */
export function whereAny(qb: Knex.QueryBuilder, column: string, values: readonly string[]): Knex.QueryBuilder {
  return qb.whereRaw('?? = any(?)', [column, values as string[]]);
}

/**
 * The table's rows in `scope`, with the columns the request reads. `paged`: a page's rows carry
 * their keyset too, which their cursors encode (narrowed columns leave it out otherwise).
 */
function scoped(db: Knex, spec: TableSpec, scope: Scope, paged = false): Knex.QueryBuilder {
  const columns = spec.columns(db);
  if (paged && spec.keyset === 'time') {
    const createdAt = `${spec.table}.created_at`;
    if (!columns.includes(createdAt) && !columns.includes(`${spec.table}.*`)) columns.push(createdAt);
  }
  const qb = db(spec.table).select(columns);
  if (spec.projectColumn) scopeTo(qb, spec.projectColumn, scope);
  // The event log is read like every list, by its position keyset, and only where the log
  // reader would read it: sequenced events (src/events/log.ts).
  if (spec.keyset === 'event') sequencedOnly(qb);
  return qb;
}

function sortColumns(spec: TableSpec): string[] {
  return spec.keyset === 'event' ? [`${spec.table}.position`] : [`${spec.table}.createdAt`, `${spec.table}.id`];
}

function afterKeyset(qb: Knex.QueryBuilder, spec: TableSpec, after: Keyset | null): void {
  if (!after) return;
  if (after.kind === 'event') qb.where(`${spec.table}.position`, '>', after.position);
  else qb.whereRaw('(??, ??) > (?, ?)', [`${spec.table}.createdAt`, `${spec.table}.id`, after.createdAt, after.id]);
}

function cursorOf(spec: TableSpec) {
  return (row: Record<string, unknown>): string =>
    spec.keyset === 'event'
      ? encodeCursor({ kind: 'event', position: row.position as number })
      : encodeCursor({ kind: 'time', createdAt: row.createdAt as Date, id: row.id as string });
}

function toPage<T>(spec: TableSpec, rows: T[], args: PageArgs<unknown>, total?: number): Page<T> {
  return {
    rows: rows.slice(0, args.first),
    hasNextPage: rows.length > args.first,
    hasPreviousPage: args.after !== null,
    cursorOf: cursorOf(spec) as (row: T) => string,
    total,
  };
}

/**
 * Children to load with a batch's rows, before the batch settles: what the operation selects
 * below them (src/loaders/index.ts). Their resolvers then find the rows settled (`now`) and
 * return them without a promise, so graphql-js completes the whole subtree synchronously
 * instead of through one promise per field per row. Same statements, same batches.
 */
export type Then<T> = (rows: T[]) => Promise<unknown> | undefined;

/** A DataLoader keyed by id whose settled values can be read synchronously. */
const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';

export class Loader<V> extends DataLoader<string, V> {
  private readonly settled: Map<string, V>;

  constructor(batch: (keys: readonly string[]) => Promise<V[]>, then?: (values: V[]) => Promise<unknown> | undefined) {
    const settled = new Map<string, V>();
    super(async (keys) => {
      const values = await batch(keys);
      for (let i = 0; i < keys.length; i++) settled.set(keys[i]!, values[i]!);
      await then?.(values);
      return values;
    });
    this.settled = settled;
  }

  /** The value when its batch has already loaded; undefined when it must be loaded. */
  now(key: string): V | undefined {
    return this.settled.get(key);
  }

  /** A primed row counts as loaded (`now` answers it); like DataLoader's, it never replaces one. */
  override prime(key: string, value: V | PromiseLike<V> | Error): this {
    if (!this.settled.has(key) && !(value instanceof Error) && !isPromiseLike(value)) this.settled.set(key, value);
    return super.prime(key, value);
  }
}

/** Belongs-to: one `WHERE id = ANY(...)` per batch, results in key order. */
export function byIdLoader<T>(db: Knex, spec: TableSpec, scope: Scope, then?: Then<T>): Loader<T | null> {
  return new Loader<T | null>(
    async (ids) => {
      const rows = (await whereAny(scoped(db, spec, scope), `${spec.table}.id`, ids)) as (T & { id: string })[];
      const byId = new Map<string, T>(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    then && ((values) => then(values.filter((v): v is T => v !== null))),
  );
}

/**
 * Has-many without paging (short lists such as a run's steps): one statement, grouped in memory,
 * at most `perParent` rows per parent (ROW_NUMBER per parent), so a list weighs its maximum.
 */
export function byParentLoader<T>(
  db: Knex,
  spec: TableSpec,
  parentColumn: string,
  scope: Scope,
  options: { orderBy?: string[]; where?: (qb: Knex.QueryBuilder) => void; perParent?: number; then?: Then<T> } = {},
): Loader<T[]> {
  return new Loader(
    async (parentIds) => {
      const orderBy = options.orderBy ?? sortColumns(spec);
      const qb = whereAny(scoped(db, spec, scope), `${spec.table}.${parentColumn}`, parentIds);
      options.where?.(qb);
      let query: Knex.QueryBuilder = qb.orderBy(orderBy.map((column) => ({ column })));
      if (options.perParent !== undefined) {
        qb.clearOrder().select(
          db.raw(`row_number() over (partition by ?? order by ${orderBy.map(() => '??').join(', ')}) as rn`, [
            `${spec.table}.${parentColumn}`,
            ...orderBy,
          ]),
        );
        query = db
          .select('*')
          .from(qb.as('capped'))
          .where('rn', '<=', options.perParent)
          .orderBy([{ column: parentColumn }, { column: 'rn' }]);
      }
      const rows = (await query) as (T & Record<string, string>)[];
      if (options.perParent !== undefined) for (const row of rows) delete row.rn;
      const groups = new Map<string, T[]>(parentIds.map((id) => [id, []]));
      for (const row of rows) groups.get(row[parentColumn] as string)?.push(row);
      return parentIds.map((id) => groups.get(id) ?? []);
    },
    options.then && ((lists) => options.then!(lists.flat() as T[])),
  );
}

export interface ChildPageKey<F> extends PageArgs<F> {
  parentId: string;
}

const argsKey = ({ first, after, filter }: PageArgs<unknown>) => JSON.stringify([first, after, filter]);

function groupByArgs<K extends PageArgs<unknown>>(keys: readonly K[]): Map<string, K[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const k = argsKey(key);
    groups.set(k, [...(groups.get(k) ?? []), key]);
  }
  return groups;
}

/** Pages of children by parent; `withTotal`: a first page also carries its connection's totalCount. */
export type PageLoader<T, F> = DataLoader<ChildPageKey<F>, Page<T>, string> & { readonly withTotal: boolean };

/**
 * A page of children for many parents in one statement: ROW_NUMBER() per parent, never one
 * query per parent and never every child. Keys with other arguments go in their own statement.
 * With `withTotal` (the operation selects totalCount), a first page (no `after`) counts its
 * parent's filtered children in the same statement, a window over the partition ROW_NUMBER
 * already sorts: one statement per level instead of two.
 */
export function childPageLoader<T, F = never>(
  db: Knex,
  spec: TableSpec,
  parentColumn: string,
  scope: Scope,
  { applyFilter, then, withTotal = false }: { applyFilter?: ApplyFilter<F>; then?: Then<T>; withTotal?: boolean } = {},
): PageLoader<T, F> {
  const loader = new DataLoader<ChildPageKey<F>, Page<T>, string>(
    async (keys) => {
      const results = new Map<string, Page<T>>();
      for (const group of groupByArgs(keys).values()) {
        const args = group[0]!;
        const parentIds = [...new Set(group.map((k) => k.parentId))];
        const inner = whereAny(scoped(db, spec, scope, true), `${spec.table}.${parentColumn}`, parentIds).select(
          db.raw(
            `row_number() over (partition by ?? order by ${sortColumns(spec)
              .map(() => '??')
              .join(', ')}) as rn`,
            [`${spec.table}.${parentColumn}`, ...sortColumns(spec)],
          ),
        );
        const counted = withTotal && args.after === null;
        if (counted)
          inner.select(db.raw('count(*) over (partition by ??)::int as total', [`${spec.table}.${parentColumn}`]));
        if (args.filter && applyFilter) applyFilter(inner, args.filter);
        afterKeyset(inner, spec, args.after);
        const rows = (await db
          .select('*')
          .from(inner.as('page'))
          .where('rn', '<=', args.first + 1)
          .orderBy([{ column: parentColumn }, { column: 'rn' }])) as (T & Record<string, unknown>)[];
        const byParent = new Map<string, T[]>(parentIds.map((id) => [id, []]));
        const totals = new Map<string, number>();
        for (const row of rows) {
          delete row.rn;
          if (counted) {
            totals.set(row[parentColumn] as string, row.total as number);
            delete row.total;
          }
          byParent.get(row[parentColumn] as string)!.push(row);
        }
        for (const key of group) {
          const total = counted ? (totals.get(key.parentId) ?? 0) : undefined;
          results.set(argsKey(key) + key.parentId, toPage(spec, byParent.get(key.parentId)!, args, total));
        }
      }
      await then?.([...results.values()].flatMap((page) => page.rows));
      return keys.map((k) => results.get(argsKey(k) + k.parentId)!);
    },
    { cacheKeyFn: (k) => argsKey(k) + k.parentId },
  );
  return Object.assign(loader, { withTotal });
}

export interface ChildCountKey<F> {
  parentId: string;
  filter: F | null;
}

/** totalCount of a nested connection: one GROUP BY per distinct filter. */
export function childCountLoader<F = never>(
  db: Knex,
  spec: TableSpec,
  parentColumn: string,
  scope: Scope,
  applyFilter?: ApplyFilter<F>,
): DataLoader<ChildCountKey<F>, number, string> {
  const cacheKey = (k: ChildCountKey<F>) => JSON.stringify([k.filter]) + k.parentId;
  return new DataLoader(
    async (keys) => {
      const results = new Map<string, number>();
      const groups = new Map<string, ChildCountKey<F>[]>();
      for (const key of keys) {
        const k = JSON.stringify([key.filter]);
        groups.set(k, [...(groups.get(k) ?? []), key]);
      }
      for (const group of groups.values()) {
        const filter = group[0]!.filter;
        const column = `${spec.table}.${parentColumn}`;
        const qb = db(spec.table).select({ parentId: column }).count({ count: '*' }).groupBy(column);
        whereAny(qb, column, [...new Set(group.map((k) => k.parentId))]);
        if (spec.projectColumn) scopeTo(qb, spec.projectColumn, scope);
        // The same rows as the pages count: events only once sequenced (scoped above).
        if (spec.keyset === 'event') sequencedOnly(qb);
        if (filter && applyFilter) applyFilter(qb, filter);
        const counts = new Map(((await qb) as { parentId: string; count: number }[]).map((r) => [r.parentId, r.count]));
        for (const key of group) results.set(cacheKey(key), counts.get(key.parentId) ?? 0);
      }
      return keys.map((k) => results.get(cacheKey(k))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

/** A top-level list: one statement for the page, one for the count, each run only if asked for. */
export function listConnection<T, F>(
  db: Knex,
  spec: TableSpec,
  scope: Scope,
  args: PageArgs<F>,
  applyFilter?: ApplyFilter<F>,
) {
  const filtered = () => {
    const qb = scoped(db, spec, scope, true);
    if (args.filter && applyFilter) applyFilter(qb, args.filter);
    return qb;
  };
  return {
    async page(): Promise<Page<T>> {
      const qb = filtered();
      afterKeyset(qb, spec, args.after);
      const rows = (await qb.orderBy(sortColumns(spec).map((column) => ({ column }))).limit(args.first + 1)) as T[];
      return toPage(spec, rows, args);
    },
    async totalCount(): Promise<number> {
      const qb = filtered().clearSelect().count({ count: '*' }).first();
      const row = (await qb) as { count: number } | undefined;
      return row?.count ?? 0;
    },
  };
}

/** A nested connection over the two loaders above: the count from the page when it carries one. */
export function childConnection<T, F>(
  pages: PageLoader<T, F>,
  counts: DataLoader<ChildCountKey<F>, number, string>,
  parentId: string,
  args: PageArgs<F>,
) {
  const page = () => pages.load({ parentId, ...args });
  return {
    page,
    totalCount: async () => {
      if (pages.withTotal && args.after === null) {
        const { total } = await page();
        if (total !== undefined) return total;
      }
      return counts.load({ parentId, filter: args.filter });
    },
  };
}
