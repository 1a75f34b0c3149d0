// The entry (it and nodeEnv.ts have side effects): config -> database -> server -> listen -> stop on signal.
import './nodeEnv';
import { ConfigError, loadConfig, type Config } from './config';
import { probeDatabase, statementTimeoutWarning, type DatabaseCapabilities } from './db/capabilities';
import { startEmbeddedPostgres } from './db/embeddedPostgres';
import { createDb, migrateLatest, pendingMigrations, type Db } from './db/knex';
import { ensureDevAdminKey } from './auth/devKey';
import { createLogger, type Logger } from './logger';
import { createServer } from './server';

/** How often a replica without a LISTEN connection reads the log for other replicas' events. */
const POLL_WITHOUT_LISTEN_MS = 500;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);

  // Whatever has been started is stopped in reverse order, on a signal and on a failed start
  // alike: a start that fails halfway leaves no PostgreSQL or pool behind.
  const started: { name: string; stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    let clean = true;
    for (const part of started.reverse()) {
      await part.stop().catch((e: unknown) => {
        clean = false;
        logger.error({ err: e }, `could not stop ${part.name}`);
      });
    }
    started.length = 0;
    return clean;
  };

  let ready;
  try {
    ready = await startAll(config, logger, (name, stop) => started.push({ name, stop }));
  } catch (e) {
    logger.error({ err: e }, 'start-up failed');
    await stopAll();
    console.error(startupFailure(e, config));
    process.exit(1);
  }
  // Handlers first: whoever reads 'serving' below may signal at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const clean = await stopAll();
    if (!clean) logger.error('unclean shutdown');
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const { server, devKey } = ready;
  logger.info({ url: server.url }, 'runledger is ready');
  console.log(`\n  runledger is serving ${server.url}\n`);
  if (devKey) {
    console.log(`  dev admin key (kept in ${devKey.file}):\n  Authorization: Bearer ${devKey.secret}\n`);
  }
}

async function startAll(config: Config, logger: Logger, onStarted: (name: string, stop: () => Promise<void>) => void) {
  let databaseUrl = config.databaseUrl;
  let capabilities: DatabaseCapabilities = { startupParameters: true, sessions: true };
  if (databaseUrl === undefined) {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (line) => logger.info(line) });
    onStarted('the embedded PostgreSQL', () => embedded.stop());
    databaseUrl = embedded.url;
  } else {
    capabilities = await probeDatabase(databaseUrl);
  }
  const db = createDb({
    connection: databaseUrl,
    poolMax: config.dbPoolMax,
    statementTimeoutMs: config.statementTimeoutMs,
    statementTimeoutPer: capabilities.startupParameters ? 'session' : 'transaction',
    preparedStatements: capabilities.sessions,
    logger,
  });
  onStarted('the database pool', () => db.destroy());
  if (!capabilities.startupParameters) {
    logger.info(
      'DATABASE_URL refuses session settings (a connection pooler): the statement timeout is set in each transaction',
    );
    // Outside a transaction (no SET LOCAL): the server's default, what reads outside one get.
    const shown = ((await db.raw('show statement_timeout')) as { rows: { statement_timeout: string }[] }).rows[0]!
      .statement_timeout;
    const warning = statementTimeoutWarning(shown, config.statementTimeoutMs);
    if (warning) logger.warn({ statementTimeout: shown }, warning);
  }
  const listenUrl = config.databaseListenUrl ?? (capabilities.sessions ? databaseUrl : null);
  if (listenUrl === null) {
    logger.warn(
      `DATABASE_URL goes through a transaction-mode pooler, where LISTEN cannot work, and DATABASE_LISTEN_URL is unset: ` +
        `this replica reads other replicas' events by polling the log every ${POLL_WITHOUT_LISTEN_MS} ms ` +
        `(subscribers here see them up to ${POLL_WITHOUT_LISTEN_MS} ms late). Set DATABASE_LISTEN_URL to a direct connection for live delivery.`,
    );
  }

  const current = await migrate(db, config, logger);
  if (current && !config.databaseUrl && !(await db('project').first())) {
    logger.info('first start: loading demo data');
    await db.seed.run();
  }
  const devKey = !config.databaseUrl && current ? await ensureDevAdminKey(db, config.dataDir) : undefined;

  const server = await createServer({
    db,
    databaseUrl,
    listen: listenUrl === null ? { pollIntervalMs: POLL_WITHOUT_LISTEN_MS } : { url: listenUrl },
    preparedStatements: capabilities.sessions,
    config,
    logger,
    explorer: {
      defaultHeaders: devKey ? { authorization: `Bearer ${devKey.secret}` } : undefined,
      // Example ids from the demo data, in the dev mode only (the page needs no key).
      examples: devKey ? () => exampleIds(db) : undefined,
    },
  });
  onStarted('the server', () => server.stop());
  return { server, devKey };
}

/**
 * MIGRATE_ON_START=true applies what is pending (concurrent starts are safe: migrateLatest);
 * false never touches the schema: the server starts, and /readyz says 503 until the deploy's
 * `npm run db:migrate` has applied everything. Returns whether the schema is current.
 */
async function migrate(db: Db, config: Config, logger: Logger): Promise<boolean> {
  if (config.migrateOnStart) {
    await migrateLatest(db);
    return true;
  }
  const pending = await pendingMigrations(db);
  if (pending.length > 0) {
    logger.warn(
      { pending },
      `MIGRATE_ON_START=false and ${pending.length} migration(s) pending: not ready (/readyz 503) until \`npm run db:migrate\` applies them`,
    );
  }
  return pending.length === 0;
}

/** What an operator reads when start-up fails: the cause in a sentence, not a stack. */
function startupFailure(e: unknown, config: Config): string {
  const { code, message } = e as { code?: string; message?: string };
  if (code === 'EADDRINUSE') {
    return `Port ${config.port} on ${config.host} is busy (another process listens there): stop it, or set PORT to another port.`;
  }
  return `runledger could not start: ${message ?? String(e)}`;
}

async function exampleIds(db: Db) {
  const step = await db('step')
    .select('step.id as stepId', 'run.id as runId', 'run.runGroupId', 'run.batchId')
    .join('run', 'run.id', 'step.runId')
    .where('step.status', 'RUNNING')
    // The most recently started: while `npm run demo` runs, its group.
    .orderBy('step.statusAt', 'desc')
    .first();
  return step ?? {};
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
