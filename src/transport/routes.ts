import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { bearerSecret } from '../auth/principal';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { migrationsCurrent, type Db } from '../db/knex';
import { buildExplorer } from '../explorer/build';
import { explorerRouter, type ExplorerOptions } from '../explorer/page';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { sendBodyError } from './nodeHttp';

function sameSecret(given: string | null, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RoutesOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** The GraphiQL page at GET /graphql (browsers); false: none. */
  explorer: ExplorerOptions | false;
  /** METRICS_TOKEN: when set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** The address the server listens on: the explorer pre-fills headers only on loopback. */
  host: string;
  /** GET /graphql (and any other method but POST) that is not the explorer. */
  graphql(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

/** Everything but POST /graphql: health, readiness, metrics, the explorer, GET /graphql. */
export async function createRoutes(options: RoutesOptions): Promise<Express> {
  const { db, metrics, logger } = options;
  const app = express();
  app.disable('x-powered-by');
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
  app.get('/metrics', async (req, res) => {
    if (options.metricsToken && !sameSecret(bearerSecret(req.headers.authorization), options.metricsToken)) {
      res.status(401).type('text/plain').send('METRICS_TOKEN is set: send Authorization: Bearer <token>\n');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (options.explorer) {
    await buildExplorer();
    // The page needs no key to load: a secret in it is everybody's who can reach the address.
    const { defaultHeaders, ...rest } = options.explorer;
    if (defaultHeaders && !isLoopback(options.host)) {
      logger.warn({ host: options.host }, 'explorer: not pre-filling headers on a non-loopback address');
    }
    app.use(explorerRouter(isLoopback(options.host) ? options.explorer : rest));
  }
  app.all('/graphql', (req, res, next) => {
    options.graphql(req, res).catch(next);
  });
  const lastResort: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    // The client's mistake (an unknown asset, a malformed path): its status, nothing to log as an error.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendBodyError(res, status, status === 404 ? 'Not found' : 'Bad request');
      return;
    }
    failed(logger, err, res);
  };
  app.use(lastResort);
  return app;
}

/** A request that failed outside GraphQL: logged, answered 500 without detail. */
export function failed(logger: Logger, err: unknown, res: http.ServerResponse): void {
  logger.error({ err }, 'request failed');
  if (!res.headersSent) sendBodyError(res, 500, 'Internal server error');
  else res.destroy();
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}
