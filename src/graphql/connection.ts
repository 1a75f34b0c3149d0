/**
 * A connection is resolved lazily: `page()` and `totalCount()` each cost one batched SQL
 * statement, and only when the query asks for the fields that need them.
 */
export interface Connection<T> {
  page(): Promise<Page<T>>;
  totalCount(): Promise<number>;
}

export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  cursorOf(row: T): string;
  /** The connection's totalCount, when the page's statement counted it (src/loaders/rows.ts). */
  total?: number;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export function edgesOf<T>(page: Page<T>): Edge<T>[] {
  return page.rows.map((row) => ({ cursor: page.cursorOf(row), node: row }));
}

export function pageInfoOf<T>(page: Page<T>) {
  const first = page.rows[0];
  const last = page.rows[page.rows.length - 1];
  return {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: page.hasPreviousPage,
    startCursor: first === undefined ? null : page.cursorOf(first),
    endCursor: last === undefined ? null : page.cursorOf(last),
  };
}
