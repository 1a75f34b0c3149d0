import type { Knex } from 'knex';
import { scopeKey, type Scope } from '../auth/scope';
import { createLoaders, type Loaders } from '../loaders';

/**
 * The events the bus read in one go (or one page of a replay). Subscribers resolve their fields
 * through the batch's loaders for THEIR scope: one set per scope per batch, so nested fields cost
 * one statement per relation per batch and scope, and never read wider than the subscriber may.
 */
export class EventBatch {
  private readonly byScope = new Map<string, Loaders>();

  constructor(private readonly db: Knex) {}

  loadersFor(scope: Scope): Loaders {
    const key = scopeKey(scope);
    let loaders = this.byScope.get(key);
    if (!loaders) this.byScope.set(key, (loaders = createLoaders(this.db, scope)));
    return loaders;
  }
}
