import type { Knex } from 'knex';
import { camelCaseResult } from './columnNames';

/**
 * A raw statement's rows with camelCase keys, like every query-builder result (knex maps the
 * result of a raw query only at its top level). Bindings are positional (`?`) or named
 * (`:name`, given as an object); a statement opens with a `/* name *\/` comment so that
 * PostgreSQL's log and the statement-count tests can say what ran.
 */
export async function rawRows<T>(
  db: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly unknown[] | Readonly<Record<string, unknown>> = [],
): Promise<T[]> {
  const result = (await db.raw(sql, bindings as Knex.RawBinding[] | Knex.ValueDict)) as {
    rows: Record<string, unknown>[];
  };
  return camelCaseResult(result.rows) as T[];
}
