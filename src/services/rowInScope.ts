import type { Knex } from 'knex';
import { scopeTo, type Scope } from '../auth/scope';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import { ApiKey, Batch, Document, LlmCall, Project, Run, RunGroup, Step } from '../models';

/** The tables a write starts from, named in errors by their GraphQL type (the model's name). */
const WRITE_ROOTS = [Project, Batch, Document, RunGroup, Run, Step, LlmCall, ApiKey];
type WriteRoot = (typeof WRITE_ROOTS)[number]['tableName'];
const TYPE_OF = Object.fromEntries(WRITE_ROOTS.map((model) => [model.tableName, model.name])) as Record<
  WriteRoot,
  string
>;

/**
 * The row a write starts from, within the caller's scope (another project's row is NOT_FOUND),
 * optionally locked until the transaction ends.
 */
export async function rowInScope<T>(
  trx: Knex.Transaction,
  table: keyof typeof TYPE_OF,
  id: string,
  scope: Scope,
  options: { field?: string; lock?: boolean } = {},
): Promise<T> {
  assertUuid(id, options.field ?? 'id');
  const qb = trx(table).where(`${table}.id`, id).first();
  scopeTo(qb, table === 'project' ? 'project.id' : `${table}.projectId`, scope);
  // NO KEY UPDATE: children inserted concurrently take KEY SHARE on this row, which FOR UPDATE would
  // wait for (and deadlock with).
  if (options.lock) qb.forNoKeyUpdate();
  const row = (await qb) as T | undefined;
  if (!row) throw notFound(TYPE_OF[table]!, id);
  return row;
}
