import { randomUUID } from 'node:crypto';
import type { Principal } from './auth/principal';
import type { Scope } from './auth/scope';
import type { Db } from './db/knex';
import type { EventBatch } from './events/batch';
import type { EventBus } from './events/bus';
import { createLoaders, type Loaders } from './loaders';
import type { ServiceConfig, ServiceContext } from './services/context';

/** Per request (HTTP) or per subscription (WebSocket): built here, never shared. */
export interface Context extends ServiceContext {
  loaders: Loaders;
  requestId: string;
  bus: EventBus;
  /** The caller, when the request carried a valid key. */
  principal?: Principal;
  /**
   * WebSocket: false once the caller's key was revoked or expired (the key watch closes the
   * socket; until it is closed, nothing more is delivered).
   */
  admitted?(): boolean;
  /** WebSocket: SUBSCRIPTION_MAX_QUEUED_EVENTS (see SubscriptionSource). */
  maxQueuedEvents?: number;
  /** WebSocket: the subscriber fell behind; closes its socket with 4008. */
  behind?(): void;
  /** Subscriptions: read the next event's fields through its batch's loaders for this scope. */
  useEventBatch?(batch: EventBatch): void;
  /**
   * HTTP: the fields the operation selects, by type, once it is known and before execution;
   * loaders then read only the optional columns those fields need.
   */
  useSelection?(selection: ReadonlyMap<string, ReadonlySet<string>>): void;
}

export interface ContextDeps {
  db: Db;
  config: ServiceConfig;
  bus: EventBus;
  /** After a write with events commits: gives them their log positions and wakes subscribers. */
  onEventsCommitted?(): void | Promise<void>;
}

export function createContext(deps: ContextDeps, scope: Scope, requestId: string = randomUUID()): Context {
  let selection: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  return {
    ...deps,
    scope,
    loaders: createLoaders(deps.db, scope, (type) => selection?.get(type)),
    requestId,
    useSelection(s) {
      selection = s;
    },
  };
}

/**
 * A subscription lives long: its resolvers read through the loaders of the batch each event was
 * delivered with, for the subscription's own scope (one set per batch and scope, shared by every
 * subscriber of that scope), never through a cache made at subscribe time.
 */
export function createSubscriptionContext(deps: ContextDeps, scope: Scope, requestId: string = randomUUID()): Context {
  // graphql-ws runs one event of a subscription at a time, so the event being resolved is the
  // one whose batch was set last.
  let batch: EventBatch | undefined;
  let beforeFirstEvent: Loaders | undefined;
  return {
    ...deps,
    scope,
    requestId,
    get loaders() {
      return batch ? batch.loadersFor(scope) : (beforeFirstEvent ??= createLoaders(deps.db, scope));
    },
    useEventBatch(b) {
      batch = b;
    },
  };
}
