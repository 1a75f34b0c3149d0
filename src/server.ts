import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from './config';
import type { ContextDeps } from './context';
import { createDb, type Db } from './db/knex';
import { hintClaimable } from './events/claims';
import type { EventBus } from './events/bus';
import { startEvents } from './events/start';
import type { ExplorerOptions } from './explorer/page';
import { createAdmission } from './graphql/admission';
import { createErrorPolicy } from './graphql/errorPolicy';
import { queryLimits, type QueryLimitsConfig } from './graphql/limits';
import { buildSchema } from './graphql/schema';
import type { Logger } from './logger';
import { createMetrics } from './observability/metrics';
import { KeyWatch } from './auth/keyWatch';
import { Resources } from './resources';
import { retentionSettings, startPruner } from './services/retention';
import { createHttpTransport } from './transport/http';
import { createRoutes, failed } from './transport/routes';
import { createWsTransport } from './transport/ws';

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
> &
  Partial<QueryLimitsConfig> &
  Partial<
    Pick<
      Config,
      | 'documentCacheBytes'
      | 'wsMaxInitBytes'
      | 'wsMaxSubscriptionsPerSocket'
      | 'wsMaxSubscriptionsPerKey'
      | 'maxSubscriptions'
      | 'wsMaxBufferedBytes'
      | 'subscriptionMaxQueuedEvents'
      | 'httpHeadersTimeoutMs'
      | 'httpRequestTimeoutMs'
      | 'httpKeepAliveTimeoutMs'
      | 'maxConnections'
      | 'maxJsonDepth'
      | 'metricsMaxOperations'
      | 'metricsToken'
      | 'idempotencyKeyHours'
      | 'eventRetentionDays'
      | 'workerRetentionDays'
      | 'pruneIntervalSeconds'
      | 'pruneBatchSize'
    >
  >;

export interface ServerOptions {
  db: Db;
  /** The same database as `db`: the event bus holds its own LISTEN connection to it. */
  databaseUrl: string;
  /**
   * Where the bus's LISTEN connection goes (a direct, session-capable URL), or, without one,
   * how often it polls the log instead. @default { url: databaseUrl }
   */
  listen?: { url: string } | { pollIntervalMs: number };
  /** `databaseUrl` keeps a server session per connection: the bus's pool prepares what repeats (see createDb). @default false */
  preparedStatements?: boolean;
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

const GRAPHQL_POST = /^\/graphql\/?(\?|$)/;

/** The composition root: wires the parts, no side effects until called; `stop` releases them newest first. */
export async function createServer({
  db,
  databaseUrl,
  listen = { url: databaseUrl },
  preparedStatements = false,
  config,
  logger,
  explorer = {},
}: ServerOptions): Promise<RunningServer> {
  const resources = new Resources();
  try {
    const schema = buildSchema();
    const errors = createErrorPolicy(logger, { hideSchemaDetails: !config.introspection });
    const admission = createAdmission({
      schema,
      db,
      adminApiKey: config.adminApiKey,
      introspection: config.introspection,
      limits: queryLimits(config),
      documentCacheBytes: config.documentCacheBytes,
    });
    // The bus reads the log through a small pool of its own: event delivery never waits behind
    // requests for a connection, and request statements stay countable on their own.
    const eventsDb = resources.add(createDb({ connection: databaseUrl, poolMax: 3, preparedStatements, logger }), (d) =>
      d.destroy(),
    );
    let bus: EventBus | undefined;
    const metrics = createMetrics({ db, eventsDb, bus: () => bus, maxOperationLabels: config.metricsMaxOperations });
    const keyWatch = resources.add(new KeyWatch({ db: eventsDb, logger }), (k) => k.stop());
    keyWatch.start();
    const events = await startEvents(
      {
        eventsDb,
        listen,
        liveEvents: config.liveEvents,
        logger,
        onDelivered: (lag) => metrics.deliveryLag.observe(lag),
        beforeFanOut: () => keyWatch.check(),
      },
      resources,
    );
    const eventBus = (bus = events.bus);
    const deps: ContextDeps = {
      db,
      config,
      bus: eventBus,
      onEventsCommitted: events.onEventsCommitted,
      onClaimable: (hint) => hintClaimable(eventBus, hint),
    };
    // Retention in the background; replicas take turns through a lease row (services/retention.ts).
    resources.add(
      startPruner({
        db,
        settings: retentionSettings(config),
        logger,
        intervalSeconds: config.pruneIntervalSeconds ?? 300,
        onPruned: (r) => {
          metrics.pruned.inc({ kind: 'idempotency_key' }, r.idempotencyKeys);
          metrics.pruned.inc({ kind: 'lifecycle_event' }, r.events);
          metrics.pruned.inc({ kind: 'worker' }, r.workers);
          metrics.pruned.inc({ kind: 'step_config' }, r.stepConfigs);
        },
      }),
      (p) => p.stop(),
    );

    const httpServer = slowClientBoundServer(config);
    const transportOptions = { httpServer, schema, admission, errors, deps, metrics };
    const ws = resources.add(
      createWsTransport({
        ...transportOptions,
        keyWatch,
        maxPayload: config.maxBodyBytes,
        maxInitBytes: config.wsMaxInitBytes,
        maxSubscriptionsPerSocket: config.wsMaxSubscriptionsPerSocket,
        maxSubscriptionsPerKey: config.wsMaxSubscriptionsPerKey,
        maxSubscriptions: config.maxSubscriptions,
        maxBufferedBytes: config.wsMaxBufferedBytes,
        maxQueuedEvents: config.subscriptionMaxQueuedEvents,
        maxJsonDepth: config.maxJsonDepth,
      }),
      (w) => w.dispose(),
    );
    const graphql = resources.add(
      await createHttpTransport({
        ...transportOptions,
        logger,
        introspection: config.introspection,
        maxBodyBytes: config.maxBodyBytes,
        // Sockets close with 1001 (going away) while HTTP drains; clients reconnect elsewhere.
        onDrain: () => ws.dispose(),
      }),
      (t) => t.stop(),
    );
    const routes = await createRoutes({
      db,
      metrics,
      logger,
      explorer,
      host: config.host,
      metricsToken: config.metricsToken,
      graphql: graphql.handle,
    });
    // POST /graphql, nearly every request, goes straight to Apollo; the rest through Express.
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.method === 'POST' && GRAPHQL_POST.test(req.url ?? ''))
        graphql.handle(req, res).catch((e: unknown) => failed(logger, e, res));
      else routes(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return { url: `http://${host}:${port}/graphql`, port, bus: events.bus, stop: () => resources.release() };
  } catch (e) {
    await resources.release().catch(() => undefined);
    throw e;
  }
}

/**
 * A node:http server that bounds what a slow or idle client can hold: headers within
 * `httpHeadersTimeoutMs` (also a connection that sends nothing), the whole request within
 * `httpRequestTimeoutMs`, idle keep-alive `httpKeepAliveTimeoutMs`, at most `maxConnections`
 * open (HTTP and WebSocket; more are dropped on accept).
 */
function slowClientBoundServer(config: ServerConfig): http.Server {
  const headersTimeout = config.httpHeadersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(config.httpRequestTimeoutMs ?? 30_000, headersTimeout);
  const server = http.createServer({
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs ?? 5000,
    // Node checks the two timeouts on this interval (30 s by default): they hold to within it.
    connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)),
  });
  server.maxConnections = config.maxConnections ?? 10_000;
  // Node's header timeout starts at a request's first byte: a connection that sends none would
  // be held for ever. It gets the same time to send its first byte. Checked by a timer, not a
  // 'data' listener: one of those takes the socket off Node's native HTTP parser for good, and
  // every request on it then goes through JavaScript stream events (bench/PROFILE.md, G2).
  server.on('connection', (socket: Socket) => {
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, headersTimeout);
    silent.unref();
    socket.once('close', () => clearTimeout(silent));
  });
  return server;
}
