import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { GraphQLError, OperationTypeNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { KeyWatch } from '../auth/keyWatch';
import { bearerSecret, type Principal } from '../auth/principal';
import { createContext, type Context, type ContextDeps } from '../context';
import { badUserInput, unauthenticated } from '../errors';
import { sharedSubscribe } from '../events/sharedExecution';
import type { Admission } from '../graphql/admission';
import { toGraphQLError, type ErrorPolicy } from '../graphql/errorPolicy';
import type { Metrics } from '../observability/metrics';
import { depthExceeds } from '../services/inputLimits';
import { serveGraphqlWs, SharedPayload, type SocketBase } from './graphqlWs';

export interface WsTransportOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  admission: Admission;
  errors: ErrorPolicy;
  deps: ContextDeps;
  metrics: Metrics;
  /** MAX_BODY_BYTES: the largest WebSocket message. */
  maxPayload: number;
  /** Closes the sockets of revoked and expired keys. */
  keyWatch: KeyWatch;
  /** WS_MAX_INIT_BYTES: the largest message before connection_init is accepted. */
  maxInitBytes?: number;
  /** WS_MAX_SUBSCRIPTIONS_PER_SOCKET. @default 100 */
  maxSubscriptionsPerSocket?: number;
  /** WS_MAX_SUBSCRIPTIONS_PER_KEY: every socket of one API key on this server together. @default 5000 */
  maxSubscriptionsPerKey?: number;
  /** MAX_SUBSCRIPTIONS: every socket of this server together. @default 10000 */
  maxSubscriptions?: number;
  /** WS_MAX_BUFFERED_BYTES (see GraphqlWsOptions). @default 8 MiB */
  maxBufferedBytes?: number;
  /** SUBSCRIPTION_MAX_QUEUED_EVENTS (see SubscriptionSource). @default 2000 */
  maxQueuedEvents?: number;
  /** MAX_JSON_DEPTH: an operation's variables may nest VARIABLES_DEPTH_SLACK levels more. @default 32 */
  maxJsonDepth?: number;
}

/** Input objects and lists around a JSON value: how much deeper than MAX_JSON_DEPTH variables may go. */
const VARIABLES_DEPTH_SLACK = 16;

const LIMIT_NAMES = {
  perSocket: 'on this socket (WS_MAX_SUBSCRIPTIONS_PER_SOCKET)',
  perKey: "with this connection's API key on this server (WS_MAX_SUBSCRIPTIONS_PER_KEY)",
  process: 'on this server (MAX_SUBSCRIPTIONS)',
} as const;

function tooManySubscriptions(limit: keyof typeof LIMIT_NAMES, max: number): GraphQLError {
  const where = LIMIT_NAMES[limit];
  return new GraphQLError(`At most ${max} subscriptions may be open at once ${where}; complete one first`, {
    extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit, max },
  });
}

type SocketExtra = SocketBase & {
  principal?: Principal;
  /** Stops watching the socket's key (when it closes). */
  unwatch?: () => void;
  /** The request id of each running operation, by graphql-ws subscription id. */
  requests?: Map<string, string>;
  /**
   * The socket's open subscriptions, counted against the caps: each by its subscribe message's
   * payload (the object graphql-ws hands to onSubscribe and to that operation's onComplete and
   * onError), not by id, since an id may be reused while its previous operation is ending.
   */
  subscriptions?: Set<object>;
};

export interface WsTransport {
  /** Closes every socket with 1001 (going away) and stops accepting; idempotent. */
  dispose(): Promise<void>;
}

/** graphql-ws on the http server's /graphql: a thin adapter around admission and the error policy. */
export function createWsTransport(options: WsTransportOptions): WsTransport {
  const { schema, admission, errors, deps, metrics, keyWatch } = options;
  const perSocket = options.maxSubscriptionsPerSocket ?? 100;
  const perKey = options.maxSubscriptionsPerKey ?? 5000;
  const perProcess = options.maxSubscriptions ?? 10_000;
  const maxVariablesDepth = (options.maxJsonDepth ?? 32) + VARIABLES_DEPTH_SLACK;
  /** Each result's payload, serialised once for every subscriber that gets that result object. */
  const serialised = new WeakMap<object, SharedPayload>();
  /** Subscriptions open on every socket of this server, and by API key (the admin key's own). */
  let open = 0;
  const byKey = new Map<string, number>();
  const keyOf = (principal: Principal | undefined) => principal?.keyId ?? '(admin key)';
  const count = (principal: Principal | undefined, delta: number) => {
    const key = keyOf(principal);
    const n = (byKey.get(key) ?? 0) + delta;
    if (n > 0) byKey.set(key, n);
    else byKey.delete(key);
    open += delta;
  };
  const release = (extra: SocketExtra, subscription: object) => {
    if (extra.subscriptions?.delete(subscription)) count(extra.principal, -1);
  };
  // Upgrades are handed over by hand (noServer) so that errors of the http server, a busy port
  // above all, are not re-emitted on the WebSocket server (graphql-ws reports those as its own
  // "Internal error" on the console).
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  options.httpServer.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/graphql') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (client) => wsServer.emit('connection', client, req));
  });
  const server = serveGraphqlWs<SocketExtra>(
    {
      schema,
      subscribe: sharedSubscribe({ onExecute: () => metrics.subscriptionExecutions.inc() }),
      onConnect: async (ctx) => {
        const secret = bearerSecret(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        let principal: Principal | null;
        try {
          principal = await admission.authenticate(secret);
        } catch (e) {
          // graphql-ws puts a thrown error's message in the close reason (4500): only the id goes.
          throw new Error(errors.fromThrown(e, randomUUID(), 'connection failed').message, { cause: e });
        }
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        ctx.extra.initialised = true;
        const { keyId } = principal;
        if (keyId !== null) {
          // Revoked or expired, on any replica: this socket closes within a second (4403).
          const socket = ctx.extra.socket;
          ctx.extra.unwatch = keyWatch.add({ keyId, close: () => socket.close(4403, 'Forbidden') });
        }
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.unwatch?.();
        const left = ctx.extra.subscriptions?.size ?? 0;
        if (left) count(ctx.extra.principal, -left);
        ctx.extra.subscriptions?.clear();
      },
      // Synchronous on purpose: no statement per operation (the socket's principal is reused)
      // and no await between checking the caps and taking a place under them.
      onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const requestId = randomUUID();
        // A rejected operation gets its errors; the socket and its other subscriptions stay.
        try {
          // Authenticated by connection_init. Revoked or expired since: the key watch saw it
          // (within 250 ms, and before every batch of events) and is closing this socket.
          const principal = ctx.extra.principal;
          if (!principal || (principal.keyId !== null && !keyWatch.isValid(principal.keyId)))
            throw unauthenticated('The API key of this connection is no longer valid');
          // Before anything walks them (graphql-js coercion, the shape of shared execution).
          if (depthExceeds(payload.variables, maxVariablesDepth))
            throw badUserInput(
              `variables are nested deeper than ${maxVariablesDepth} levels (MAX_JSON_DEPTH + ${VARIABLES_DEPTH_SLACK})`,
              'variables',
            );
          const { document, errors: invalid } = admission.prepare(payload.query);
          if (invalid) {
            // As on HTTP (Apollo): a failed validation is GRAPHQL_VALIDATION_FAILED unless a limit said otherwise.
            return errors.mask(
              invalid.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')),
              requestId,
            );
          }
          const admitted = admission.admit({
            principal,
            document,
            operationName: payload.operationName,
            variables: payload.variables,
          });
          // A subscription's events execute with loaders of their own (eventContext).
          const contextValue = createContext(deps, admitted.scope, requestId, admitted.selection, principal);
          const { keyId } = principal;
          if (keyId !== null) contextValue.admitted = () => keyWatch.isValid(keyId);
          contextValue.maxQueuedEvents = options.maxQueuedEvents;
          contextValue.behind = ctx.extra.behind;
          if (admitted.operation.operation === OperationTypeNode.SUBSCRIPTION) {
            const mine = (ctx.extra.subscriptions ??= new Set());
            if (mine.size >= perSocket) return [tooManySubscriptions('perSocket', perSocket)];
            if ((byKey.get(keyOf(principal)) ?? 0) >= perKey) return [tooManySubscriptions('perKey', perKey)];
            if (open >= perProcess) return [tooManySubscriptions('process', perProcess)];
            mine.add(payload);
            count(principal, 1);
          }
          (ctx.extra.requests ??= new Map()).set(id, requestId);
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
          };
        } catch (e) {
          return [errors.fromThrown(e, requestId, 'subscribe failed')];
        }
      },
      // A stream that fails while running (its replay's backend terminated, a statement timeout)
      // ends here: graphql-ws would send the raw message (SQL and all) without a code.
      onError: (ctx, id, payload, failures) => {
        const requestId = ctx.extra.requests?.get(id) ?? randomUUID();
        ctx.extra.requests?.delete(id);
        release(ctx.extra, payload);
        // What onSubscribe returned went through the policy already; a failed stream's error
        // did not, whatever code it carries (a PostgreSQL error's is no client's business).
        return errors.maskUnmasked(failures, requestId);
      },
      onComplete: (ctx, id, payload) => {
        ctx.extra.requests?.delete(id);
        release(ctx.extra, payload);
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        metrics.subscriptionPayloads.inc();
        if (!('errors' in result) || !result.errors?.length) {
          // Subscribers of one shape get the same result object for an event: serialised once.
          let shared = serialised.get(result);
          if (!shared) {
            serialised.set(result, (shared = new SharedPayload(Buffer.from(JSON.stringify(result)))));
            metrics.subscriptionSerialisations.inc();
          }
          // graphql-ws types onNext's answer as a result; it only stringifies it (SharedPayload.toJSON).
          return shared as unknown as typeof result;
        }
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        return { ...result, errors: errors.mask(result.errors, requestId) };
      },
    },
    wsServer,
    (socket, request) => ({ socket, request }),
    { maxInitBytes: options.maxInitBytes, maxBufferedBytes: options.maxBufferedBytes },
  );
  let disposed: Promise<void> | undefined;
  return {
    dispose: () => (disposed ??= Promise.resolve(server.dispose())),
  };
}

/** The error with `code` unless it has one (cached validation errors are shared: not changed). */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return error.extensions.code
    ? error
    : toGraphQLError({ ...error.toJSON(), extensions: { code, ...error.extensions } });
}
