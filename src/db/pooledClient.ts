import { createRequire } from 'node:module';
import type { Knex } from 'knex';

// knex ships no types for its dialect classes; these are the two it instantiates for pg.
interface PgTransactionLike {
  isolationLevel?: string;
  readOnly?: boolean;
  query(conn: unknown, sql: string): Promise<unknown>;
}
type PgTransactionClass = new (...args: unknown[]) => PgTransactionLike;
type PgClientClass = typeof Knex.Client;

const requireKnex = createRequire(require.resolve('knex'));
const PgClient = requireKnex('./lib/dialects/postgres') as PgClientClass;
const PgTransaction = requireKnex('./lib/dialects/postgres/execution/pg-transaction') as PgTransactionClass;

/**
 * A knex pg client for a transaction-mode pooler (PgBouncer), which refuses session settings as
 * startup parameters and hands each transaction to whichever server connection is free: the
 * statement timeout travels with every transaction instead, as `SET LOCAL` in the same simple
 * query as BEGIN (no extra round trip). Statements outside a transaction get the server's
 * default (README "Deploying": `ALTER ROLE ... SET statement_timeout`).
 */
export function pgClientWithTransactionTimeout(statementTimeoutMs: number): PgClientClass {
  const timeout = Math.floor(statementTimeoutMs);
  class TimedTransaction extends PgTransaction {
    begin(conn: unknown): Promise<unknown> {
      const mode = [
        this.isolationLevel ? `ISOLATION LEVEL ${this.isolationLevel}` : '',
        this.readOnly ? 'READ ONLY' : '',
      ]
        .join(' ')
        .trim();
      return this.query(conn, `BEGIN${mode ? ` TRANSACTION ${mode}` : ''}; SET LOCAL statement_timeout = ${timeout};`);
    }
  }
  class PooledPgClient extends PgClient {
    override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
      return new TimedTransaction(this, container, config, outerTx) as unknown as Knex.Transaction;
    }
  }
  return PooledPgClient;
}
