import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express, { type ErrorRequestHandler } from 'express';
import { GraphQLError, type ExecutionArgs, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authorizeOperation } from './auth/permissions';
import { authenticate, bearerSecret, scopeOf, type Principal } from './auth/principal';
import type { Config } from './config';
import { createContext, createSubscriptionContext, type Context, type ContextDeps } from './context';
import { createDb, migrationsCurrent, type Db } from './db/knex';
import { unauthenticated } from './errors';
import { EventBus } from './events/bus';
import { EventNotifier } from './events/notifier';
import { sharedSubscribe } from './events/sharedExecution';
import { buildExplorer } from './explorer/build';
import { explorerRouter, type ExplorerOptions } from './explorer/page';
import { DocumentCache } from './graphql/documents';
import { graphqlHttpHandler, sendBodyError } from './graphql/http';
import { selectedFields } from './graphql/selection';
import { LIMITS, checkCost, limitRules } from './graphql/limits';
import { buildSchema } from './graphql/schema';
import type { Logger } from './logger';
import { createMetrics } from './observability/metrics';

export type ServerConfig = Pick<
  Config,
  | 'port'
  | 'host'
  | 'introspection'
  | 'maxRunsPerGroup'
  | 'workerLeaseSeconds'
  | 'maxFileBytes'
  | 'maxPromptBytes'
  | 'maxBodyBytes'
  | 'adminApiKey'
  | 'liveEvents'
>;

export interface ServerOptions {
  db: Db;
  /** The same database as `db`: the event bus holds its own LISTEN connection to it. */
  databaseUrl: string;
  config: ServerConfig;
  logger: Logger;
  /** The GraphiQL page at GET /graphql (browsers); on unless `false`. */
  explorer?: ExplorerOptions | false;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly port: number;
  readonly bus: EventBus;
  /**
   * Stops accepting, lets in-flight requests finish (up to 10 s), closes sockets with 1001 and
   * the LISTEN connection. The query pool is the caller's to destroy.
   */
  stop(): Promise<void>;
}

const GRAPHQL_PATH = /^\/graphql\/?(\?|$)/;

/** Codes a client may see as they are; anything else is masked. */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_COMPLEX',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** What a client sees of an error: its own words for expected errors, a request id otherwise. */
export function clientError(formatted: GraphQLFormattedError, requestId?: string): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  const code = extensions.limit ? 'QUERY_TOO_COMPLEX' : extensions.code;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) {
    const { http: _http, stacktrace: _stack, ...rest } = extensions;
    return { ...formatted, extensions: { ...rest, code } };
  }
  return {
    message: `Internal server error${requestId ? ` (request ${requestId})` : ''}`,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  };
}

function isExpected(error: GraphQLError): boolean {
  const code = error.extensions?.code;
  return typeof code === 'string' && CLIENT_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR';
}

/** Builds Apollo (HTTP) and graphql-ws on one http server; no side effects until called. */
export async function createServer({
  db,
  databaseUrl,
  config,
  logger,
  explorer = {},
}: ServerOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  // POST /graphql, nearly every request, goes straight to Apollo; the rest through Express.
  let graphqlHttp: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | undefined;
  const httpServer = http.createServer((req, res) => {
    if (graphqlHttp && req.method === 'POST' && GRAPHQL_PATH.test(req.url ?? '')) {
      graphqlHttp(req, res).catch((e: unknown) => failed(e, res));
      return;
    }
    app(req, res);
  });
  const failed = (err: unknown, res: http.ServerResponse) => {
    logger.error({ err }, 'request failed');
    if (!res.headersSent) sendBodyError(res, 500, 'Internal server error');
    else res.destroy();
  };
  const schema = buildSchema();
  // The bus reads the log through a small pool of its own: event delivery never waits behind
  // requests for a connection, and request statements stay countable on their own.
  const eventsDb = createDb({ connection: databaseUrl, poolMax: 3 });
  let bus: EventBus | undefined;
  const metrics = createMetrics({ db, eventsDb, bus: () => bus });
  bus = new EventBus({
    db: eventsDb,
    connectionString: databaseUrl,
    logger,
    listen: config.liveEvents,
    onDelivered: (lag) => metrics.deliveryLag.observe(lag),
  });
  await bus.start();
  const local = bus;
  // Off (LIVE_EVENTS=false): no wake-ups sent or heard; subscribers get events from the bus's poll.
  const notifier = config.liveEvents
    ? new EventNotifier({
        db: eventsDb,
        instanceId: bus.instanceId,
        wakeLocal: () => local.wake(),
        ownListenerPid: () => local.listenerBackendPid,
        logger,
      })
    : undefined;
  const deps: ContextDeps = { db, config, bus, onEventsCommitted: notifier?.committed };
  const rules = limitRules();

  // graphql-ws on the same port and path as HTTP, with the same checks as HTTP.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.maxBodyBytes });
  const documents = new DocumentCache(schema, rules);
  const ws = useServer<
    Record<string, unknown> | undefined,
    { principal?: Principal; secret?: string | null; connectionId: string }
  >(
    {
      schema,
      subscribe: sharedSubscribe({
        onExecute: () => metrics.subscriptionExecutions.inc(),
      }),
      onConnect: async (ctx) => {
        const secret = bearerSecret(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const principal = await authenticate(db, secret, config.adminApiKey);
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        ctx.extra.secret = secret;
        ctx.extra.connectionId = randomUUID();
        return true;
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const requestId = randomUUID();
        // A rejected operation gets its errors; the socket and its other subscriptions stay.
        try {
          // Revoked since the socket opened? Then no new operations.
          const principal = await authenticate(db, ctx.extra.secret ?? null, config.adminApiKey);
          if (!principal) throw unauthenticated('The API key of this connection is no longer valid');
          const { document, errors } = documents.get(payload.query);
          if (errors) {
            // As on HTTP (Apollo): a failed validation is GRAPHQL_VALIDATION_FAILED unless a limit said otherwise.
            return errors.map((e) =>
              toError(
                clientError({ ...e.toJSON(), extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...e.extensions } }),
              ),
            );
          }
          const operation = document.definitions.find(
            (d): d is OperationDefinitionNode =>
              d.kind === 'OperationDefinition' && (!payload.operationName || d.name?.value === payload.operationName),
          );
          if (!operation) return [new GraphQLError('No operation to run', { extensions: { code: 'BAD_REQUEST' } })];
          authorizeOperation(principal, operation, document);
          checkCost(schema, document, payload.variables ?? undefined, operation.name?.value);
          const scope = scopeOf(principal);
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue:
              operation.operation === 'subscription'
                ? createSubscriptionContext(deps, scope, requestId)
                : createContext(deps, scope, requestId),
          };
        } catch (e) {
          if (e instanceof GraphQLError) {
            const code = e.message.startsWith('Syntax Error') ? 'GRAPHQL_PARSE_FAILED' : undefined;
            return [
              toError(
                clientError({
                  ...e.toJSON(),
                  extensions: { ...e.extensions, ...(code && !e.extensions.code ? { code } : {}) },
                }),
              ),
            ];
          }
          logger.error({ err: e, requestId }, 'subscribe failed');
          return [toError(clientError({ message: 'failed' }, requestId))];
        }
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        metrics.subscriptionPayloads.inc();
        if (!('errors' in result) || !result.errors?.length) return undefined;
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        for (const e of result.errors)
          if (!isExpected(e)) logger.error({ err: e.originalError ?? e, requestId }, 'unexpected error');
        return { ...result, errors: result.errors.map((e) => toError(clientError(e.toJSON(), requestId))) };
      },
    },
    wsServer,
  );

  const requestLog: ApolloServerPlugin<Context> = {
    async requestDidStart({ request, contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ operation, document, request: req }) {
          const principal = contextValue.principal;
          if (principal && operation) authorizeOperation(principal, operation, document);
          // The name of the operation Apollo resolved, not the one the client sent.
          checkCost(schema, document, req.variables, operation?.name?.value);
          contextValue.useSelection?.(selectedFields(schema, document));
        },
        async didEncounterErrors({ errors }) {
          for (const e of errors) {
            if (!isExpected(e))
              logger.error({ err: e.originalError ?? e, requestId: contextValue.requestId }, 'unexpected error');
          }
        },
        async willSendResponse({ response, errors, operationName }) {
          const operation = operationName ?? request.operationName ?? 'anonymous';
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const outcome = errors?.length ? 'error' : 'ok';
          metrics.requests.inc({ operation, outcome });
          metrics.duration.observe({ operation }, seconds);
          response.http.headers.set('x-request-id', contextValue.requestId);
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            response.body.singleResult.errors = response.body.singleResult.errors.map((e) =>
              clientError(e, contextValue.requestId),
            );
          }
          logger.info(
            { requestId: contextValue.requestId, operation, durationMs: Math.round(seconds * 1000), outcome },
            'graphql request',
          );
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.introspection,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: LIMITS.tokens },
    validationRules: rules,
    // index.ts owns shutdown order (server, then pool, then PostgreSQL).
    stopOnTerminationSignals: false,
    formatError: (formatted) => clientError(formatted),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 10_000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL here; without this plugin Apollo stops wrapping every field
      // resolver (willResolveField), which cost more than the resolvers on nested pages.
      ApolloServerPluginCacheControlDisabled(),
      requestLog,
      {
        async serverWillStart() {
          return {
            async drainServer() {
              // Closes every socket with 1001 (going away); clients reconnect to another replica.
              await ws.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.raw('select 1');
      if (!(await migrationsCurrent(db))) {
        res.status(503).json({ status: 'migrations pending' });
        return;
      }
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (explorer) {
    await buildExplorer();
    app.use(explorerRouter(explorer));
  }
  graphqlHttp = graphqlHttpHandler(apollo, {
    maxBodyBytes: config.maxBodyBytes,
    context: async ({ req }) => {
      const requestId = randomUUID();
      const principal = await authenticate(db, bearerSecret(req.headers.authorization), config.adminApiKey);
      if (!principal) {
        throw new GraphQLError('A valid API key is required (Authorization: Bearer <key>)', {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      }
      return { ...createContext(deps, scopeOf(principal), requestId), principal };
    },
  });
  const viaExpress = graphqlHttp;
  app.all('/graphql', (req, res, next) => {
    viaExpress(req, res).catch(next);
  });
  const lastResort: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    failed(err, res);
  };
  app.use(lastResort);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const running = bus;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    bus: running,
    async stop() {
      await apollo.stop();
      notifier?.stop();
      await running.stop();
      await eventsDb.destroy();
    },
  };
}

function toError(formatted: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}
