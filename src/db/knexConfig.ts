import path from 'node:path';
import type { Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import pg from 'pg';
import { useFastTimestamps } from './timestamps';

// bigint counts and sizes, and numeric costs, arrive as strings by default; every value we
// store fits a double (sizes and token counts stay far below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
useFastTimestamps();

const root = path.resolve(__dirname, '..', '..');

export const migrationsDirectory = path.join(root, 'migrations');
export const seedsDirectory = path.join(root, 'seeds');

export interface KnexConfigOptions {
  connection: string;
  /** @default 10 */
  poolMax?: number;
  /** Cancels any statement running longer. @default none */
  statementTimeoutMs?: number;
}

/** The one knex configuration, shared by the app, the knex CLI (knexfile.ts) and the tests. */
export function knexConfig({ connection, poolMax = 10, statementTimeoutMs }: KnexConfigOptions): Knex.Config {
  return {
    client: 'pg',
    connection: statementTimeoutMs
      ? { connectionString: connection, statement_timeout: statementTimeoutMs }
      : connection,
    pool: { min: 0, max: poolMax },
    // snake_case in PostgreSQL, camelCase in TypeScript: one mapping for every query.
    ...knexSnakeCaseMappers(),
    migrations: {
      directory: migrationsDirectory,
      loadExtensions: ['.ts'],
      tableName: 'knex_migrations',
    },
    seeds: { directory: seedsDirectory, loadExtensions: ['.ts'] },
  };
}
