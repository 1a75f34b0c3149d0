import type { Knex } from 'knex';

/**
 * Which projects a caller may see. Applied by every loader, list and service before SQL is
 * built, so no resolver has to remember it.
 */
export interface Scope {
  /** null: every project (an admin key without project). */
  readonly projectIds: readonly string[] | null;
}

export const ALL_PROJECTS: Scope = { projectIds: null };

export function scopeTo(qb: Knex.QueryBuilder, column: string, scope: Scope): Knex.QueryBuilder {
  if (scope.projectIds !== null) qb.whereIn(column, scope.projectIds as string[]);
  return qb;
}

export function inScope(scope: Scope, projectId: string): boolean {
  return scope.projectIds === null || scope.projectIds.includes(projectId);
}
