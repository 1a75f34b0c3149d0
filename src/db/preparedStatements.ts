import { createRequire } from 'node:module';
import type { Knex } from 'knex';

type PgClientClass = typeof Knex.Client;

const requireKnex = createRequire(require.resolve('knex'));
const PgClient = requireKnex('./lib/dialects/postgres') as PgClientClass;

/** What knex hands its dialect's `_query`: the compiled statement and its options. */
interface CompiledQuery {
  sql: string;
  bindings?: readonly unknown[];
  options?: Record<string, unknown>;
}

/** A pg connection as `_query` receives it; the flag marks one whose names went stale. */
interface PgConnection {
  __runledgerUnnamed?: boolean;
}

/** Texts a process prepares at most: each costs a parse tree (and a plan) per pooled connection. */
const MAX_NAMED = 300;
/** Executions of a text before it is prepared: one-off statements (DDL, rare shapes) never are. */
const PREPARE_AFTER = 2;
/** Texts counted at most before the count starts over (many distinct shapes seen once). */
const MAX_COUNTED = 5000;

/**
 * PostgreSQL plans an unnamed statement at every execution; the claim's statement took 1.5 ms
 * to plan and 0.5 ms to run. A statement sent again and again runs here as a named prepared
 * statement of its connection (node-postgres parses a name once per connection, then only binds),
 * so PostgreSQL can reuse its plan. Only where every client connection keeps one server session:
 * a transaction-mode pooler (PgBouncer 1.18) hands the next transaction to another server, which
 * does not know the name (src/index.ts decides, from probeDatabase).
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /** The name `sql` runs under, or undefined to send it unnamed. */
  nameFor(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined) return known;
    if (this.names.size >= MAX_NAMED) return undefined;
    const seen = (this.counts.get(sql) ?? 0) + 1;
    if (seen < PREPARE_AFTER) {
      if (this.counts.size >= MAX_COUNTED) this.counts.clear();
      this.counts.set(sql, seen);
      return undefined;
    }
    this.counts.delete(sql);
    const name = `runledger_${this.names.size}`;
    this.names.set(sql, name);
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}

/**
 * What PostgreSQL answers a named statement that no longer fits its tables (a migration under a
 * running process): a plan of another result type (0A000), parameter types fixed at the first
 * Parse that the new column types refuse (42883, 42804), or a name that is gone (26000). The
 * same text sent unnamed is analysed again and may well work.
 */
const STALE_CODES = new Set(['0A000', '42883', '42804', '26000']);
const STALE = Symbol('a named statement gone stale');

/** An error of a named statement gone stale (see STALE_CODES): `transaction()` retries it. */
export function isStalePlan(error: unknown): boolean {
  const e = (error ?? {}) as { [STALE]?: boolean; code?: string; message?: string };
  if (e[STALE]) return true;
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}

/**
 * The pg client of knex, sending statements with bindings (those already on the extended
 * protocol, never a multi-statement string) as named statements once they repeat. A connection
 * whose named statement went stale (or failed before the server answered) sends everything
 * unnamed from then on; a stale statement is retried unnamed when it ran outside a transaction,
 * and its transaction is retried by `transaction()`.
 */
export function pgClientWithPreparedStatements(Base: PgClientClass = PgClient): PgClientClass {
  const statements = new StatementNames();
  // knex's types leave out the dialect's `_query`, which every statement goes through.
  const Dialect = Base as unknown as new (...args: unknown[]) => {
    _query(connection: unknown, obj: CompiledQuery): Promise<unknown>;
  };
  class PreparingPgClient extends Dialect {
    override _query(connection: unknown, obj: CompiledQuery): Promise<unknown> {
      const conn = connection as PgConnection & { __knexTxId?: string };
      const named = !conn.__runledgerUnnamed && obj.bindings?.length ? statements.nameFor(obj.sql) : undefined;
      if (named === undefined) return super._query(connection, obj);
      const unnamedOptions = obj.options;
      obj.options = { ...unnamedOptions, name: named };
      return super._query(connection, obj).catch((e: unknown) => {
        const code = (e as { code?: unknown }).code;
        // A failure that is no answer of the server (a value node-postgres could not bind) can
        // leave the name half-closed on the connection: it sends nothing named from then on.
        if (typeof code !== 'string' || STALE_CODES.has(code)) conn.__runledgerUnnamed = true;
        if (typeof code !== 'string' || !STALE_CODES.has(code)) throw e;
        if (conn.__knexTxId !== undefined) throw Object.assign(e as Error, { [STALE]: true });
        obj.options = unnamedOptions;
        return super._query(connection, obj);
      });
    }
  }
  return PreparingPgClient as unknown as PgClientClass;
}
