import type { Knex } from 'knex';
import { scopeTo, type Scope } from '../auth/scope';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';

const TYPE_OF: Record<string, string> = {
  project: 'Project',
  batch: 'Batch',
  document: 'Document',
  run_group: 'RunGroup',
  run: 'Run',
  step: 'Step',
  llm_call: 'LlmCall',
  api_key: 'ApiKey',
};

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
