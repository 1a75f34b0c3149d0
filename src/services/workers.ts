import type { Knex } from 'knex';
import { transaction } from '../db/transaction';
import { badUserInput } from '../errors';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import type { ServiceContext } from './context';

export function assertWorkerId(id: string, field = 'workerId'): string {
  if (id.length < 1 || id.length > 200) throw badUserInput('a worker id is 1 to 200 characters', field);
  return id;
}

/** Creates the worker on its first check-in; every later one moves lastCheckinAt. */
export async function checkIn(trx: Knex.Transaction | Knex, id: string): Promise<G.Worker> {
  const [worker] = await trx('worker')
    .insert({ id })
    .onConflict('id')
    .merge({ lastCheckinAt: trx.fn.now() })
    .returning(tables.worker.columns(trx as Knex));
  return worker as G.Worker;
}

export async function workerCheckin(ctx: ServiceContext, id: string): Promise<G.Worker> {
  assertWorkerId(id, 'id');
  return transaction(ctx.db, (trx) => checkIn(trx, id));
}
