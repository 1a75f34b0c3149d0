import type DataLoader from 'dataloader';
import { badUserInput, notFound } from '../errors';
import { MAX_LIST_ITEMS } from '../graphql/limits';
import { edgesOf, pageInfoOf, type Connection } from '../graphql/connection';
import { assertUuid } from '../graphql/ids';
import { decodeCursor, pageSize, type Keyset } from '../graphql/pagination';
import { Loader, type PageArgs } from '../loaders/rows';

/** Validates `first` and `after` before anything reaches SQL. */
export function pageArgs<F>(
  args: { first?: number | null; after?: string | null; filter?: F | null },
  kind: Keyset['kind'],
): PageArgs<F> {
  return {
    first: pageSize(args.first),
    after: args.after == null ? null : decodeCursor(args.after, kind),
    filter: args.filter ?? null,
  };
}

/**
 * A list that is not a connection, cut to `first` (default and maximum MAX_LIST_ITEMS: the
 * loaders never read more per parent, and the cost weighs that many).
 */
export function firstItems<T>(items: Promise<T[]> | T[], first: number | null | undefined): T[] | Promise<T[]> {
  const n = listSize(first);
  const cut = (all: T[]) => (all.length > n ? all.slice(0, n) : all);
  // A list already loaded stays synchronous (see Loader in loaders/rows.ts).
  return Array.isArray(items) ? cut(items) : items.then(cut);
}

export function listSize(first: number | null | undefined): number {
  if (first == null) return MAX_LIST_ITEMS;
  if (!Number.isInteger(first) || first < 0 || first > MAX_LIST_ITEMS)
    throw badUserInput(`first must be between 0 and ${MAX_LIST_ITEMS}, got ${first}`, 'first');
  return first;
}

/** A top-level lookup: a malformed id is BAD_USER_INPUT, an unknown (or out-of-scope) one NOT_FOUND. */
export async function required<T>(
  loader: DataLoader<string, T | null>,
  type: string,
  id: string,
  field = 'id',
): Promise<T> {
  const row = await loader.load(assertUuid(id, field));
  if (!row) throw notFound(type, id);
  return row;
}

/**
 * A non-null relation: the foreign key guarantees the row, so a miss is a bug worth an error.
 * A row its loader already holds is returned as is (no promise: see Loader in loaders/rows.ts).
 */
export function related<T>(loader: DataLoader<string, T | null>, type: string, id: string): T | Promise<T> {
  const now = loader instanceof Loader ? (loader as Loader<T | null>).now(id) : undefined;
  if (now === undefined)
    return loader.load(id).then((row) => {
      if (!row) throw notFound(type, id);
      return row;
    });
  if (now === null) throw notFound(type, id);
  return now;
}

export function optional<T>(loader: DataLoader<string, T | null>, id: string | null): T | null | Promise<T | null> {
  if (id === null) return null;
  const now = loader instanceof Loader ? (loader as Loader<T | null>).now(id) : undefined;
  return now !== undefined ? now : loader.load(id);
}

/** A has-many list: already loaded (the parent's batch loaded it ahead), or loaded now. */
export function children<T>(loader: Loader<T[]>, parentId: string): T[] | Promise<T[]> {
  return loader.now(parentId) ?? loader.load(parentId);
}

/** Runs each part of a top-level connection at most once, however many fields ask for it. */
export function memo<T>(connection: Connection<T>): Connection<T> {
  let page: ReturnType<Connection<T>['page']> | undefined;
  let count: Promise<number> | undefined;
  return { page: () => (page ??= connection.page()), totalCount: () => (count ??= connection.totalCount()) };
}

/** The four fields every connection type has. */
export function connectionResolvers<T>() {
  return {
    edges: async (c: Connection<T>) => edgesOf(await c.page()),
    nodes: async (c: Connection<T>) => (await c.page()).rows,
    pageInfo: async (c: Connection<T>) => pageInfoOf(await c.page()),
    totalCount: (c: Connection<T>) => c.totalCount(),
  };
}
