import type { Knex } from 'knex';
import { mapDatabaseError, pgError } from './errors';
import { isStalePlan } from './preparedStatements';

/**
 * LOCK ORDER. Every service takes row locks in this order, never backwards, so two writers can
 * wait for each other but never in a cycle:
 *
 *   1. idempotency_key (the key row a create inserts first)
 *   2. document_uri, then document (deleteDocumentUri, addDocuments)
 *   3. step rows: those of one run in step-number order (updateStepStatus locks every open
 *      step of the run before cancelling siblings); a claim locks its one step with SKIP LOCKED;
 *      bulk operations lock a whole group's steps in one statement, before any of its runs
 *   4. worker (check-in), a leaf nobody holds while waiting for rows above it
 *   5. run rows
 *   6. run_group row, last: rollups lock it (FOR NO KEY UPDATE) only after the steps and runs
 *      they changed; cancelRunGroup and deleteRunGroup reach it after the group's steps and runs
 *
 * Deletes follow the same order by deleting children explicitly before their parents (steps,
 * then runs, then the group) instead of letting ON DELETE CASCADE lock parents first.
 * A deadlock or serialization failure that still happens (a bug, or a lock a statement takes
 * implicitly) is retried by `transaction` below.
 */

/** PostgreSQL codes of a transaction that lost a race and may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);

export interface TransactionOptions {
  /** Attempts after the first for deadlocks and serialization failures. @default 4 */
  retries?: number;
  /**
   * A bulk service write (start, cancel or delete of a whole group): its statements may run
   * past the pool's statement timeout, which stays for client-driven reads.
   */
  bulk?: boolean;
  /**
   * Resolve once committed, with the after-commit hooks still running (they announce what
   * committed; they never change it). For a caller that hands the result on at once and whose
   * receiver needs nothing the hooks do: a claim pushed to its worker needs its step, not its
   * event's log position. @default false
   */
  detachHooks?: boolean;
}

type Hook = () => void | Promise<void>;
const hooksByTransaction = new WeakMap<Knex.Transaction, Hook[]>();

/**
 * Runs `hook` once after the transaction commits: never for an attempt that rolled back, and
 * once (not once per attempt) when `transaction` retried.
 */
export function afterCommit(trx: Knex.Transaction, hook: Hook): void {
  const hooks = hooksByTransaction.get(trx);
  if (!hooks) throw new Error('afterCommit needs a transaction opened by transaction()');
  hooks.push(hook);
}

/** Whether `afterCommit` already holds a hook for this key in this transaction. */
const keyedHooks = new WeakMap<Knex.Transaction, Set<unknown>>();
export function afterCommitOnce(trx: Knex.Transaction, key: unknown, hook: Hook): void {
  let keys = keyedHooks.get(trx);
  if (!keys) keyedHooks.set(trx, (keys = new Set()));
  if (keys.has(key)) return;
  keys.add(key);
  afterCommit(trx, hook);
}

function isRetryable(error: unknown): boolean {
  const code = pgError(error)?.code;
  // A prepared statement's plan gone stale (a migration under a running process): its
  // connection sends everything unnamed from then on, so the next attempt runs.
  return (typeof code === 'string' && RETRYABLE.has(code)) || isStalePlan(error) || isStalePlan(pgError(error));
}

/**
 * One statement sent on its own, outside any transaction: PostgreSQL runs it as its own (all it
 * writes commits, or nothing does), without the BEGIN and COMMIT round trips. Deadlocks and
 * serialization failures are retried and database errors mapped, as `transaction` does.
 */
export async function singleStatement<T>(run: () => Promise<T>, retries = 4): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (attempt < retries && isRetryable(e)) {
        await jitter(attempt);
        continue;
      }
      throw mapDatabaseError(e) ?? e;
    }
  }
}

async function runHooks(hooks: Hook[]): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch {
      // A hook only announces what committed (wake-ups); the write itself succeeded.
    }
  }
}

const jitter = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));

/**
 * Runs `fn` in one transaction: everything commits or nothing does. A deadlock (40P01) or a
 * serialization failure (40001) rolls the attempt back and runs `fn` again, a bounded number
 * of times with a random delay; after-commit hooks run once, after the attempt that committed.
 * Database errors become client errors (see mapDatabaseError); everything else is rethrown.
 */
export async function transaction<T>(
  db: Knex,
  fn: (trx: Knex.Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    let hooks: Hook[] = [];
    try {
      const result = await db.transaction(async (trx) => {
        hooks = [];
        hooksByTransaction.set(trx, hooks);
        if (options.bulk) await trx.raw(`set local statement_timeout = '300s'`);
        return fn(trx);
      });
      if (options.detachHooks) void runHooks(hooks);
      else await runHooks(hooks);
      return result;
    } catch (e) {
      if (attempt < retries && isRetryable(e)) {
        await jitter(attempt);
        continue;
      }
      throw mapDatabaseError(e) ?? e;
    }
  }
}
