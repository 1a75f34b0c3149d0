import path from 'node:path';
import { z } from 'zod';
import { MAX_SECRET_LENGTH, isWellFormedSecret } from './auth/secretFormat';

const boolFromEnv = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  RUNLEDGER_DATA_DIR: z.string().min(1).default('./.runledger'),
  ADMIN_API_KEY: z
    .string()
    .min(32)
    .refine(
      isWellFormedSecret,
      `must be at most ${MAX_SECRET_LENGTH} characters without spaces (what a Bearer header carries)`,
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INTROSPECTION: boolFromEnv.optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(1).default(600),
  MAX_RUNS_PER_GROUP: z.coerce.number().int().min(1).default(50_000),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  MAX_FILE_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 1024 * 1024),
  MAX_PROMPT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  LIVE_EVENTS: boolFromEnv.default(true),
  // Deployment (README "Deploying").
  DATABASE_LISTEN_URL: z.string().url().optional(),
  MIGRATE_ON_START: boolFromEnv.default(true),
  // Bounded resources (issue 13): what one operation, one value and one connection may hold.
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).default(10),
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(50_000),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(1).default(15),
  MAX_QUERY_DIRECTIVES: z.coerce.number().int().min(1).default(50),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(1000),
  MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(32 * 1024 * 1024),
  MAX_NAME_BYTES: z.coerce.number().int().min(64).default(2048),
  MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .default(16 * 1024),
  MAX_JSON_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  MAX_JSON_DEPTH: z.coerce.number().int().min(2).max(1000).default(32),
  IDEMPOTENCY_KEY_HOURS: z.coerce.number().int().min(1).default(24),
  EVENT_RETENTION_DAYS: z.coerce.number().min(1).default(30),
  WORKER_RETENTION_DAYS: z.coerce.number().min(1).default(30),
  PRUNE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  PRUNE_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  METRICS_MAX_OPERATIONS: z.coerce.number().int().min(1).default(200),
  METRICS_TOKEN: z.string().min(16).optional(),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
  WS_MAX_INIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024),
  DOCUMENT_CACHE_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(16 * 1024 * 1024),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).default(100),
  WS_MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().min(1).default(5000),
  MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(10_000),
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * 1024 * 1024),
  SUBSCRIPTION_MAX_QUEUED_EVENTS: z.coerce.number().int().min(2).default(2000),
});

export interface Config {
  /** @default 4000 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** Unset: an embedded PostgreSQL is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** Absolute path. @default './.runledger' */
  dataDir: string;
  adminApiKey: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** Defaults to on in the embedded dev mode, off against an external database. */
  introspection: boolean;
  /** @default 10 */
  dbPoolMax: number;
  /** A step held by a worker silent for longer than this can be claimed again. @default 600 */
  workerLeaseSeconds: number;
  /** startRunGroup refuses to create more runs than this in one call. @default 50000 */
  maxRunsPerGroup: number;
  /** Largest HTTP request body. @default 8 MiB */
  maxBodyBytes: number;
  /** Largest stored file or document content. @default 5 MiB */
  maxFileBytes: number;
  /** Largest prompt or response of an LLM call. @default 1 MiB */
  maxPromptBytes: number;
  /** Any SQL statement running longer is cancelled. @default 5000 */
  statementTimeoutMs: number;
  /** Writes wake subscribers with NOTIFY; off, the bus finds events by polling. @default true */
  liveEvents: boolean;
  /**
   * A direct (session-capable) connection for the one LISTEN connection, when DATABASE_URL goes
   * through a transaction-mode pooler. Unset: LISTEN on DATABASE_URL if it can hold one.
   */
  databaseListenUrl: string | undefined;
  /** Apply pending migrations at start-up; false: wait (not ready) until they are applied. @default true */
  migrateOnStart: boolean;
  /** Entity levels of an operation (connection wrappers add none). @default 10 */
  maxQueryDepth: number;
  /** Upper bound of the rows an operation may touch (lists at their maximum). @default 50000 */
  maxQueryCost: number;
  /** @default 15 */
  maxQueryAliases: number;
  /** @default 50 */
  maxQueryDirectives: number;
  /** @default 1000 */
  maxQueryTokens: number;
  /** Upper bound of a response, estimated before anything loads. @default 32 MiB */
  maxResponseBytes: number;
  /** Largest stored name, source, URI, model... @default 2048 */
  maxNameBytes: number;
  /** Largest stored status or error message. @default 16 KiB */
  maxTextBytes: number;
  /** Largest stored JSON value (meta, params, config, usageDetails). @default 64 KiB */
  maxJsonBytes: number;
  /** Deepest nesting of a stored JSON value. @default 32 */
  maxJsonDepth: number;
  /** A connection must have sent its request's headers within this. @default 10000 */
  httpHeadersTimeoutMs: number;
  /** A connection must have sent its whole request (headers and body) within this. @default 30000 */
  httpRequestTimeoutMs: number;
  /** An idle keep-alive connection closes after this. @default 5000 */
  httpKeepAliveTimeoutMs: number;
  /** Open connections (HTTP and WebSocket) at most; more are dropped at once. @default 10000 */
  maxConnections: number;
  /** Largest WebSocket message before connection_init is accepted (larger: closed 4413 unparsed). @default 16 KiB */
  wsMaxInitBytes: number;
  /** Parsed WebSocket documents kept, in bytes (estimated from their text). @default 16 MiB */
  documentCacheBytes: number;
  /** Subscriptions open at once on one socket; more: TOO_MANY_SUBSCRIPTIONS. @default 100 */
  wsMaxSubscriptionsPerSocket: number;
  /** Subscriptions open at once with one API key in the process, every socket together. @default 5000 */
  wsMaxSubscriptionsPerKey: number;
  /** Subscriptions open at once in the process, every socket together. @default 10000 */
  maxSubscriptions: number;
  /** Bytes waiting to be sent on one socket; more: closed with 4008. @default 8 MiB */
  wsMaxBufferedBytes: number;
  /** Events waiting for one subscription, or held back during its replay; more: closed with 4008. @default 2000 (more than one read of the bus, 1,000) */
  subscriptionMaxQueuedEvents: number;
  /** Idempotency keys replay their first result at least this long, then are pruned. @default 24 */
  idempotencyKeyHours: number;
  /** Lifecycle events older than this are pruned; older cursors get CURSOR_EXPIRED. @default 30 */
  eventRetentionDays: number;
  /** Workers silent for longer (and running nothing) are pruned. @default 30 */
  workerRetentionDays: number;
  /** Seconds between retention passes; 0: none. @default 300 */
  pruneIntervalSeconds: number;
  /** Rows per DELETE of a retention pass. @default 1000 */
  pruneBatchSize: number;
  /** Distinct operation names /metrics labels; later ones count as "(other)". @default 200 */
  metricsMaxOperations: number;
  /** Set: /metrics requires `Authorization: Bearer <token>`. Unset: /metrics is open. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {}

/** The only reader of process.env: validates once and names the variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as shells often export `VAR=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.RUNLEDGER_DATA_DIR),
    adminApiKey: e.ADMIN_API_KEY,
    logLevel: e.LOG_LEVEL,
    introspection: e.INTROSPECTION ?? e.DATABASE_URL === undefined,
    dbPoolMax: e.DB_POOL_MAX,
    workerLeaseSeconds: e.WORKER_LEASE_SECONDS,
    maxRunsPerGroup: e.MAX_RUNS_PER_GROUP,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxFileBytes: e.MAX_FILE_BYTES,
    maxPromptBytes: e.MAX_PROMPT_BYTES,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    liveEvents: e.LIVE_EVENTS,
    databaseListenUrl: e.DATABASE_LISTEN_URL,
    migrateOnStart: e.MIGRATE_ON_START,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryCost: e.MAX_QUERY_COST,
    maxQueryAliases: e.MAX_QUERY_ALIASES,
    maxQueryDirectives: e.MAX_QUERY_DIRECTIVES,
    maxQueryTokens: e.MAX_QUERY_TOKENS,
    maxResponseBytes: e.MAX_RESPONSE_BYTES,
    maxNameBytes: e.MAX_NAME_BYTES,
    maxTextBytes: e.MAX_TEXT_BYTES,
    maxJsonBytes: e.MAX_JSON_BYTES,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    documentCacheBytes: e.DOCUMENT_CACHE_BYTES,
    wsMaxInitBytes: e.WS_MAX_INIT_BYTES,
    wsMaxSubscriptionsPerSocket: e.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    wsMaxSubscriptionsPerKey: e.WS_MAX_SUBSCRIPTIONS_PER_KEY,
    maxSubscriptions: e.MAX_SUBSCRIPTIONS,
    wsMaxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
    subscriptionMaxQueuedEvents: e.SUBSCRIPTION_MAX_QUEUED_EVENTS,
    httpHeadersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    // Node refuses a request timeout shorter than the header timeout.
    httpRequestTimeoutMs: Math.max(e.HTTP_REQUEST_TIMEOUT_MS, e.HTTP_HEADERS_TIMEOUT_MS),
    httpKeepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    idempotencyKeyHours: e.IDEMPOTENCY_KEY_HOURS,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    workerRetentionDays: e.WORKER_RETENTION_DAYS,
    pruneIntervalSeconds: e.PRUNE_INTERVAL_SECONDS,
    pruneBatchSize: e.PRUNE_BATCH_SIZE,
    metricsMaxOperations: e.METRICS_MAX_OPERATIONS,
    metricsToken: e.METRICS_TOKEN,
  };
}
