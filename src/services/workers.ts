import type { Knex } from 'knex';
import { transaction } from '../db/transaction';
import { badUserInput } from '../errors';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import { Project } from '../models';
import type { ServiceContext } from './context';
import { rowInScope } from './rowInScope';

export function assertWorkerId(id: string, field = 'workerId'): string {
  if (id.length < 1 || id.length > 200) throw badUserInput('a worker id is 1 to 200 characters', field);
  return id;
}

/** Creates the project's worker on its first check-in; every later one moves lastCheckinAt. */
export async function checkIn(trx: Knex.Transaction | Knex, projectId: string, id: string): Promise<G.Worker> {
  const [worker] = await trx('worker')
    .insert({ projectId, id })
    .onConflict(['project_id', 'id'])
    .merge({ lastCheckinAt: trx.fn.now() })
    .returning(tables.worker.columns(trx as Knex));
  return worker as G.Worker;
}

/**
 * The project whose worker checks in: a project key's own; an admin key for every project must
 * name it (a worker of no project would keep every project's step of that name alive).
 */
export async function workerCheckin(ctx: ServiceContext, id: string, projectId?: string | null): Promise<G.Worker> {
  assertWorkerId(id, 'id');
  const named = projectId == null ? null : assertUuid(projectId, 'projectId');
  const own = ctx.scope.projectIds?.length === 1 ? ctx.scope.projectIds[0]! : null;
  if (named === null && own === null) {
    throw badUserInput("an admin key for every project must name the worker's project (projectId)", 'projectId');
  }
  return transaction(ctx.db, async (trx) => {
    // Another project's id is NOT_FOUND, as one that does not exist.
    const project = named ?? own!;
    await rowInScope(trx, Project, project, ctx.scope, { field: 'projectId' });
    return checkIn(trx, project, id);
  });
}
