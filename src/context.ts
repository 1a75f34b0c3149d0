import type { Principal } from './auth/principal';
import type { Scope } from './auth/scope';
import type { Db } from './db/knex';
import { EventBatch } from './events/batch';
import type { EventBus } from './events/bus';
import type { Delivery } from './events/subscriptions';
import type { Selection } from './graphql/selection';
import { createLoaders, primePayloadRows, viewFor, type Loaders } from './loaders';
import type { ServiceConfig, ServiceContext } from './services/context';
import type { ClaimableHint } from './services/lifecycleEvents';

/** Per request (HTTP) or per operation (WebSocket): built here, never shared. */
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
}

export interface ContextDeps {
  db: Db;
  config: ServiceConfig;
  bus: EventBus;
  /** After a write with events commits: gives them their log positions and wakes subscribers. */
  onEventsCommitted?(): void | Promise<void>;
  /** A committed change made steps claimable: this process's waiting claims hear it at once. */
  onClaimable?(hint: ClaimableHint): void;
}

/**
 * `selection`: the fields the admitted operation selects; the loaders read only the optional
 * columns those need. HTTP knows it only after the context is built (Apollo builds the context
 * before it parses), so the admission plugin replaces the loaders then.
 */
export function createContext(
  deps: ContextDeps,
  scope: Scope,
  requestId: string,
  selection?: Selection,
  principal?: Principal,
): Context {
  // Named properties, not `{ ...deps, scope, ... }`: Node 20's V8 makes a new hidden class for
  // every object spread followed by more properties, 6 us of a request's CPU (bench/PROFILE.md, G2).
  return {
    db: deps.db,
    config: deps.config,
    bus: deps.bus,
    onEventsCommitted: deps.onEventsCommitted,
    onClaimable: deps.onClaimable,
    scope,
    loaders: createLoaders(deps.db, scope, selection),
    requestId,
    principal,
  };
}

/**
 * The context one event of a subscription executes with. graphql-ws builds a subscription's
 * context once, at subscribe time; each event reads through loaders of its own instead: those
 * of the batch a bus event came in, for the subscription's scope (one set per batch and scope,
 * shared by every subscriber of that scope), and fresh ones for any other payload; `keyOnly`
 * answers for the subscription's own operation.
 */
export function eventContext(subscription: Context, payload: unknown): Context {
  const batch = (payload as Partial<Delivery> | null | undefined)?.batch;
  const { db, scope } = subscription;
  const shared = batch instanceof EventBatch ? batch.loadersFor(scope) : createLoaders(db, scope);
  // A claimed step brings its run, document and config from the claim's statement.
  if (!(batch instanceof EventBatch)) primePayloadRows(shared, payload);
  // The subscription's loaders were made with its operation's selection: they know what is key-only.
  return { ...subscription, loaders: viewFor(shared, subscription.loaders) };
}
