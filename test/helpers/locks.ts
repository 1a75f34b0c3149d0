// A second database session that holds row locks, to force one interleaving of concurrent
// writers deterministically: a writer reaches the held row and waits there, the test starts
// the next writer, then releases the lock. Waiting is observed in pg_stat_activity (a state to
// await, not a sleep that hopes to win a race).
import type { Knex } from 'knex';
import type { Db } from '../../src/db/knex';

export interface LockHolder {
  /** Takes FOR UPDATE locks on the rows matching `sql` (a `select ... from <table> where ...`). */
  lock(sql: string, bindings?: readonly unknown[]): Promise<void>;
  /** Takes an ACCESS EXCLUSIVE lock on `table`: even plain reads of it wait. */
  lockTable(table: string): Promise<void>;
  /** Ends the session's transaction, releasing every lock it holds. */
  release(): Promise<void>;
}

export async function holdLocks(db: Db): Promise<LockHolder> {
  const trx: Knex.Transaction = await db.transaction();
  return {
    async lock(sql, bindings = []) {
      await trx.raw(`${sql} for update`, bindings as Knex.RawBinding[]);
    },
    async lockTable(table) {
      await trx.raw(`lock table ?? in access exclusive mode`, [table]);
    },
    async release() {
      if (!trx.isCompleted()) await trx.rollback();
    },
  };
}

/** How many sessions of this database wait for a lock right now. */
async function lockWaiters(db: Db): Promise<number> {
  const { rows } = (await db.raw(
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  )) as { rows: { n: number }[] };
  return rows[0]!.n;
}

/** Resolves once `count` sessions wait for a lock (the writers reached the held rows). */
export async function waitersReach(db: Db, count: number): Promise<void> {
  const started = Date.now();
  for (let n = await lockWaiters(db); n < count; n = await lockWaiters(db)) {
    if (Date.now() - started > 10_000) throw new Error(`only ${n} of ${count} sessions came to wait for a lock`);
  }
}

/**
 * The pid of the one session of this database that waits for a lock while running a statement
 * whose text contains every one of `fragments`; resolves once there is one.
 */
export async function waitingBackend(db: Db, fragments: readonly string[]): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = (await db.raw(
      `select pid from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()
         and query like all(?::text[])`,
      [fragments.map((f) => `%${f.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)],
    )) as { rows: { pid: number }[] };
    if (rows.length > 1) throw new Error(`${rows.length} sessions wait running ${JSON.stringify(fragments)}`);
    if (rows.length === 1) return rows[0]!.pid;
    if (Date.now() - started > 10_000) throw new Error(`no session came to wait running ${JSON.stringify(fragments)}`);
  }
}
