import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino from 'pino';
import { scopeOf } from '../../src/auth/scope';
import type { Db } from '../../src/db/knex';
import { EventNotifier } from '../../src/events/notifier';
import { sequenceLog } from '../../src/events/sequencer';
import type { ServiceContext } from '../../src/services/context';
import type { ExplorerOptions } from '../../src/explorer/page';
import { createServer, type RunningServer, type ServerConfig } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './database';

/** Every test server accepts this admin key (ADMIN_API_KEY); gql() sends it unless told otherwise. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789abcdef';

const testServiceConfig = {
  maxRunsPerGroup: 50_000,
  workerLeaseSeconds: 600,
  maxFileBytes: 5 * 1024 * 1024,
  maxPromptBytes: 1024 * 1024,
};

/**
 * Services called directly, like a writer process of their own: every project in scope, and
 * NOTIFY after commit so servers' buses wake up as they would for another replica's writes.
 */
export function writerContext(db: Db): ServiceContext {
  const notifier = new EventNotifier({ db, instanceId: 'test-writer' });
  return {
    db,
    scope: scopeOf({ keyId: null, role: 'ADMIN', projectId: null }),
    config: testServiceConfig,
    // Like a server: the writer's events get their positions before the call returns.
    onEventsCommitted: async () => {
      await sequenceLog(db);
      notifier.committed();
    },
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  /** The server's x-request-id: the id its log lines for this request carry. */
  requestId?: string;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** One line of the server's log (pino JSON), with the fields tests look at. */
export interface LogLine {
  /** pino's: 30 info, 40 warn, 50 error. */
  level: number;
  msg: string;
  requestId?: string;
  err?: { message: string };
  /** knex's own message (src/db/knex.ts). */
  knex?: string;
}

/** A test server's log, kept for assertions: pass it as startTestServer's `log`. */
export class CapturedLog {
  private readonly raw: string[] = [];

  push(line: string): void {
    this.raw.push(line);
  }

  /** How many lines so far: pass it to `lines` to read only what came after. */
  get length(): number {
    return this.raw.length;
  }

  /** The lines from `since` on, parsed. */
  lines(since = 0): LogLine[] {
    return this.raw.slice(since).map((l) => JSON.parse(l) as LogLine);
  }

  /** The error logged with a request id: the detail that the client's masked error leaves out. */
  errorOf(requestId: string): LogLine | undefined {
    return this.lines().find((l) => l.requestId === requestId && l.level === 50);
  }
}

export interface TestServer {
  url: string;
  db: Db;
  database: TestDatabase;
  server: RunningServer;
  /** POSTs one operation to /graphql: a typed document (graphql() from test/__generated__) ... */
  gql<R, V>(
    query: TypedDocumentNode<R, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<R>>;
  /** ... or a string, whose data each test narrows itself. */
  // Tests read many response shapes; each test narrows what it asserts on.
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Counts SQL statements the server sends while `fn` runs. */
  countStatements(fn: () => Promise<unknown>): Promise<{ count: number; sql: string[] }>;
  stop(): Promise<void>;
}

/** A real server on a free port over this file's own database. */
export async function startTestServer(
  options: {
    poolMax?: number;
    maxRunsPerGroup?: number;
    workerLeaseSeconds?: number;
    maxBodyBytes?: number;
    introspection?: boolean;
    /** Listen address (default 127.0.0.1). */
    host?: string;
    /** Keeps every JSON log line (at info level and up). */
    log?: CapturedLog;
    explorer?: ExplorerOptions;
    liveEvents?: boolean;
    /** The pool's statement timeout, as STATEMENT_TIMEOUT_MS sets it in production (default: none). */
    statementTimeoutMs?: number;
    /** Any other setting of the server (limits, retention...), over the defaults above. */
    config?: Partial<ServerConfig>;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase({
    poolMax: options.poolMax,
    statementTimeoutMs: options.statementTimeoutMs,
  });
  const logger = options.log
    ? pino({ level: 'info' }, { write: (line: string) => options.log!.push(line.trim()) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = await createServer({
    db: database.db,
    databaseUrl: database.url,
    preparedStatements: true,
    config: {
      ...testServiceConfig,
      port: 0,
      host: options.host ?? '127.0.0.1',
      introspection: options.introspection ?? true,
      maxRunsPerGroup: options.maxRunsPerGroup ?? 50_000,
      workerLeaseSeconds: options.workerLeaseSeconds ?? 600,
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      adminApiKey: TEST_ADMIN_KEY,
      liveEvents: options.liveEvents ?? true,
      // The tests' fetch shares this process's event loop with the server: a stall (GC, a large
      // body on two busy cores) can let the server's idle timer close a pooled connection just as
      // the client sends on it, a reset no retry covers for POST (nodejs/undici#3141). No test
      // idles a connection for a minute; keepAlive.test.ts sets its own.
      httpKeepAliveTimeoutMs: 60_000,
      ...options.config,
    },
    logger,
    explorer: options.explorer,
  });
  return {
    url: server.url,
    db: database.db,
    database,
    server,
    async gql(query: string | TypedDocumentNode, variables?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}`, ...headers },
        body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return {
        ...body,
        status: res.status,
        requestId: res.headers.get('x-request-id') ?? undefined,
      } as GraphQLResponse<any>;
    },
    async countStatements(fn) {
      const sql: string[] = [];
      const listener = (q: { sql: string }) => sql.push(q.sql);
      database.db.on('query', listener);
      try {
        await fn();
      } finally {
        database.db.off('query', listener);
      }
      return { count: sql.length, sql };
    },
    async stop() {
      await server.stop();
      await database.drop();
    },
  };
}

/** The codes of a response's errors, for compact assertions. */
export function errorCodes(res: GraphQLResponse): (string | undefined)[] {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}
