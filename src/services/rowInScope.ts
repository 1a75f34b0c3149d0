import type { Knex } from 'knex';
import type { ModelClass } from 'objection';
import { scopeTo, type Scope } from '../auth/scope';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import type { BaseModel } from '../models/BaseModel';
import {
  Project,
  type ApiKey,
  type Batch,
  type Document,
  type LlmCall,
  type Run,
  type RunGroup,
  type Step,
} from '../models';

/** The models of the tables a write starts from. */
type WriteRoot =
  | typeof Project
  | typeof Batch
  | typeof Document
  | typeof RunGroup
  | typeof Run
  | typeof Step
  | typeof LlmCall
  | typeof ApiKey;

/**
 * The row a write starts from, within the caller's scope (another project's row is NOT_FOUND,
 * named by its GraphQL type: the model's name), optionally locked until the transaction ends.
 */
export async function rowInScope<M extends WriteRoot>(
  trx: Knex.Transaction,
  model: M,
  id: string,
  scope: Scope,
  options: { field?: string; lock?: boolean } = {},
): Promise<InstanceType<M>> {
  assertUuid(id, options.field ?? 'id');
  const table = model.tableName;
  // Objection's static query() cannot be typed through a union of classes: read as any model,
  // returned as M's.
  const qb = (model as ModelClass<BaseModel>).query(trx).findById(id);
  scopeTo(qb, table === Project.tableName ? 'project.id' : `${table}.projectId`, scope);
  // NO KEY UPDATE: children inserted concurrently take KEY SHARE on this row, which FOR UPDATE would
  // wait for (and deadlock with).
  if (options.lock) qb.forNoKeyUpdate();
  const row = (await qb) as InstanceType<M> | undefined;
  if (!row) throw notFound(model.name, id);
  return row;
}
