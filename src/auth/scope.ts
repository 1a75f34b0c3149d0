import type { Principal } from './principal';

// Only this module makes scopes (scopeOf): a loader, list or service cannot be handed a scope
// that was not taken from a caller, and the all-projects scope only from an admin without project.
declare const fromPrincipal: unique symbol;

/**
 * Which projects a caller may see. Applied by every loader, list and service before SQL is
 * built, so no resolver has to remember it.
 */
export interface Scope {
  /** null: every project (only an admin key without project). */
  readonly projectIds: readonly string[] | null;
  readonly [fromPrincipal]: true;
}

/** The scope of a caller: its project; every project only for an admin key without project. */
export function scopeOf(principal: Principal): Scope {
  const projectIds = principal.projectId !== null ? [principal.projectId] : principal.role === 'ADMIN' ? null : [];
  return { projectIds } as unknown as Scope;
}

/** A key for maps of things made per scope (shared executions, event loaders). */
export function scopeKey(scope: Scope): string {
  return scope.projectIds === null ? '*' : [...scope.projectIds].sort().join(',');
}

/** A knex or an Objection query builder. */
interface Filterable {
  whereIn(column: string, values: string[]): unknown;
}

export function scopeTo<Q extends Filterable>(qb: Q, column: string, scope: Scope): Q {
  if (scope.projectIds !== null) qb.whereIn(column, scope.projectIds as string[]);
  return qb;
}

export function inScope(scope: Scope, projectId: string): boolean {
  return scope.projectIds === null || scope.projectIds.includes(projectId);
}
