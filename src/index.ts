// The only module with side effects: config -> database -> server -> listen -> stop on signal.
import { ConfigError, loadConfig } from './config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embeddedPostgres';
import { createDb, migrateLatest } from './db/knex';
import { ensureDevAdminKey } from './auth/devKey';
import { createLogger } from './logger';
import { createServer } from './server';

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

  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (line) => logger.info(line) });
  }
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  const db = createDb({
    connection: databaseUrl,
    poolMax: config.dbPoolMax,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  try {
    await migrateLatest(db);
    if (embedded && !(await db('project').first())) {
      logger.info('first start: loading demo data');
      await db.seed.run();
    }
  } catch (e) {
    await db.destroy();
    await embedded?.stop();
    throw e;
  }
  const devKey = embedded ? await ensureDevAdminKey(db, config.dataDir) : undefined;

  const server = await createServer({
    db,
    databaseUrl,
    config,
    logger,
    explorer: {
      defaultHeaders: devKey ? { authorization: `Bearer ${devKey.secret}` } : undefined,
      // Example ids from the demo data, in the dev mode only (the page needs no key).
      examples: devKey ? () => exampleIds(db) : undefined,
    },
  });
  logger.info({ url: server.url }, 'runledger is ready');
  console.log(`\n  runledger is serving ${server.url}\n`);
  if (devKey) {
    console.log(`  dev admin key (kept in ${devKey.file}):\n  Authorization: Bearer ${devKey.secret}\n`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await server.stop();
      await db.destroy();
      await embedded?.stop();
      process.exit(0);
    } catch (e) {
      logger.error({ err: e }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function exampleIds(db: ReturnType<typeof createDb>) {
  const step = await db('step')
    .select('step.id as stepId', 'run.id as runId', 'run.runGroupId', 'run.batchId')
    .join('run', 'run.id', 'step.runId')
    .where('step.status', 'RUNNING')
    .first();
  return step ?? {};
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
