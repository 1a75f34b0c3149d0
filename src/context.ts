import { randomUUID } from 'node:crypto';
import type { Scope } from './auth/scope';
import type { Db } from './db/knex';
import type { EventBus } from './events/bus';
import { createLoaders, type Loaders } from './loaders';
import type { ServiceConfig, ServiceContext } from './services/context';

/** Per request (HTTP) or per subscription (WebSocket): built here, never shared. */
export interface Context extends ServiceContext {
  loaders: Loaders;
  requestId: string;
  bus: EventBus;
}

export interface ContextDeps {
  db: Db;
  config: ServiceConfig;
  bus: EventBus;
}

export function createContext(deps: ContextDeps, scope: Scope, requestId: string = randomUUID()): Context {
  return { ...deps, scope, loaders: createLoaders(deps.db, scope), requestId };
}

/**
 * A subscription lives long: its resolvers read through the bus's loaders, renewed with every
 * batch of events and shared by all subscribers, never through a cache made at subscribe time.
 */
export function createSubscriptionContext(deps: ContextDeps, scope: Scope, requestId: string = randomUUID()): Context {
  return {
    ...deps,
    scope,
    requestId,
    get loaders() {
      return deps.bus.loaders;
    },
  };
}
