import { randomUUID } from 'node:crypto';
import type { Scope } from './auth/scope';
import type { Db } from './db/knex';
import { createLoaders, type Loaders } from './loaders';
import type { ServiceConfig, ServiceContext } from './services/context';

/** Per request (HTTP) or per subscription (WebSocket): built by createContext, never shared. */
export interface Context extends ServiceContext {
  loaders: Loaders;
  requestId: string;
}

export function createContext(db: Db, scope: Scope, config: ServiceConfig, requestId: string = randomUUID()): Context {
  return { db, scope, config, loaders: createLoaders(db, scope), requestId };
}
