import type DataLoader from 'dataloader';
import { notFound } from '../errors';
import { edgesOf, pageInfoOf, type Connection } from '../graphql/connection';
import { assertUuid } from '../graphql/ids';
import { decodeCursor, pageSize, type Keyset } from '../graphql/pagination';
import type { PageArgs } from '../loaders/rows';

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

/** A non-null relation: the foreign key guarantees the row, so a miss is a bug worth an error. */
export async function related<T>(loader: DataLoader<string, T | null>, type: string, id: string): Promise<T> {
  const row = await loader.load(id);
  if (!row) throw notFound(type, id);
  return row;
}

export function optional<T>(loader: DataLoader<string, T | null>, id: string | null): Promise<T | null> | null {
  return id === null ? null : loader.load(id);
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
