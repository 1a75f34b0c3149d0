import type { Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';

const { postProcessResponse } = knexSnakeCaseMappers();

/**
 * A raw statement's rows with camelCase keys, like every query-builder result (knex maps the
 * result of a raw query only at its top level).
 */
export async function rawRows<T>(
  db: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly unknown[] = [],
): Promise<T[]> {
  const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Record<string, unknown>[] };
  return postProcessResponse!(result.rows) as T[];
}
