import { randomUUID } from 'node:crypto';
import type { Scope } from './auth/scope';
import type { Db } from './db/knex';
import { createLoaders, type Loaders } from './loaders';

/** Per request (HTTP) or per subscription (WebSocket): built by createContext, never shared. */
export interface Context {
  db: Db;
  scope: Scope;
  loaders: Loaders;
  requestId: string;
}

export function createContext(db: Db, scope: Scope, requestId: string = randomUUID()): Context {
  return { db, scope, loaders: createLoaders(db, scope), requestId };
}
