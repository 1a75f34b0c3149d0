import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import pg from 'pg';
import { camelCaseResult, wrapIdentifier } from './columnNames';
import { pgClientWithPreparedStatements } from './preparedStatements';
import { pgClientWithTransactionTimeout } from './pooledClient';
import { useFastTimestamps } from './timestamps';

// bigint counts and sizes, and numeric costs, arrive as strings by default; every value we
// store fits a double (sizes and token counts stay far below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
useFastTimestamps();

const root = path.resolve(__dirname, '..', '..');

export const migrationsDirectory = path.join(root, 'migrations');
const seedsDirectory = path.join(root, 'seeds');

export interface KnexConfigOptions {
  connection: string;
  /** @default 10 */
  poolMax?: number;
  /** Cancels any statement running longer. @default none */
  statementTimeoutMs?: number;
  /**
   * How the timeout reaches PostgreSQL: `session`, a startup parameter of every connection;
   * `transaction`, `SET LOCAL` at each BEGIN, for a transaction-mode pooler that refuses startup
   * parameters (see probeDatabase). @default 'session'
   */
  statementTimeoutPer?: 'session' | 'transaction';
  /**
   * Statements that repeat run as named prepared statements of their connection (planned once):
   * only where each client connection keeps its server session, never behind a transaction-mode
   * pooler (see preparedStatements.ts). @default false
   */
  preparedStatements?: boolean;
  /**
   * Where knex's own messages go (a pooled connection lost: "Connection Error: ..."), as
   * structured lines; without it knex writes them to the console.
   */
  logger?: Logger;
}

function knexLog(logger: Logger): Knex.Config['log'] {
  return {
    warn: (message: unknown) => logger.warn({ knex: message }, 'database pool'),
    error: (message: unknown) => logger.error({ knex: message }, 'database pool'),
    deprecate: (method: string, alternative: string) =>
      logger.warn({ knex: `${method} is deprecated; use ${alternative}` }, 'database pool'),
    debug: (message: unknown) => logger.debug({ knex: message }, 'database pool'),
  };
}

/** The one knex configuration, shared by the app, the knex CLI (knexfile.ts) and the tests. */
export function knexConfig({
  connection,
  poolMax = 10,
  statementTimeoutMs,
  statementTimeoutPer = 'session',
  preparedStatements = false,
  logger,
}: KnexConfigOptions): Knex.Config {
  const perSession = statementTimeoutMs !== undefined && statementTimeoutPer === 'session';
  const timed =
    statementTimeoutMs !== undefined && statementTimeoutPer === 'transaction'
      ? pgClientWithTransactionTimeout(statementTimeoutMs)
      : undefined;
  return {
    client: preparedStatements ? pgClientWithPreparedStatements(timed) : (timed ?? 'pg'),
    connection: perSession ? { connectionString: connection, statement_timeout: statementTimeoutMs } : connection,
    pool: { min: 0, max: poolMax },
    ...(logger ? { log: knexLog(logger) } : {}),
    // snake_case in PostgreSQL, camelCase in TypeScript: one mapping for every query.
    wrapIdentifier,
    postProcessResponse: camelCaseResult,
    migrations: {
      directory: migrationsDirectory,
      loadExtensions: ['.ts'],
      tableName: 'knex_migrations',
    },
    seeds: { directory: seedsDirectory, loadExtensions: ['.ts'] },
  };
}
