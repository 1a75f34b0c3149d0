import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ALL_PROJECTS } from './auth/scope';
import type { Config } from './config';
import { createContext, createSubscriptionContext, type Context, type ContextDeps } from './context';
import { EventBus } from './events/bus';
import { createDb, type Db } from './db/knex';
import { buildSchema } from './graphql/schema';
import type { Logger } from './logger';

export interface ServerOptions {
  db: Db;
  /** The same database as `db`: the event bus holds its own LISTEN connection to it. */
  databaseUrl: string;
  config: Pick<Config, 'port' | 'host' | 'introspection' | 'maxRunsPerGroup' | 'workerLeaseSeconds'>;
  logger: Logger;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly port: number;
  readonly bus: EventBus;
  /** Stops accepting, finishes in-flight requests, closes sockets. The pool is the caller's. */
  stop(): Promise<void>;
}

const EXPECTED_CODES = new Set([
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

/** Builds Apollo (HTTP) on one http server; no side effects until called. */
export async function createServer({ db, databaseUrl, config, logger }: ServerOptions): Promise<RunningServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const schema = buildSchema();
  // The bus reads the log through a small pool of its own: event delivery never waits behind
  // requests for a connection, and request statements stay countable on their own.
  const eventsDb = createDb({ connection: databaseUrl, poolMax: 3 });
  const bus = new EventBus({ db: eventsDb, connectionString: databaseUrl, logger });
  await bus.start();
  const deps: ContextDeps = { db, config, bus };

  // graphql-ws on the same port and path as HTTP.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const ws = useServer(
    {
      schema,
      context: () => createSubscriptionContext(deps, ALL_PROJECTS),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    allowBatchedHttpRequests: false,
    // index.ts owns shutdown order (server, then pool, then PostgreSQL).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
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
    formatError: (formatted: GraphQLFormattedError, error: unknown) => {
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && EXPECTED_CODES.has(code)) return formatted;
      // Anything unexpected (a database error, a bug): the client gets a code and a request id,
      // the log gets the detail.
      const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
      const requestId = (error instanceof GraphQLError && (error.extensions?.requestId as string)) || undefined;
      logger.error({ err: original, path: formatted.path, requestId }, 'unexpected error');
      return {
        message: 'Internal server error',
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
      };
    },
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    express.json({ limit: '8mb' }),
    expressMiddleware(apollo, {
      context: async () => createContext(deps, ALL_PROJECTS),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    bus,
    async stop() {
      await apollo.stop();
      await bus.stop();
      await eventsDb.destroy();
    },
  };
}
