import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { markPruned } from '../events/cursor';
import type { Logger } from '../logger';

/** How long each kind of row is kept; the defaults are those of unset variables (config.ts). */
export interface RetentionSettings {
  /** IDEMPOTENCY_KEY_HOURS: a key replays its first result at least this long. @default 24 */
  idempotencyKeyHours: number;
  /** EVENT_RETENTION_DAYS: lifecycle events older than this are deleted. @default 30 */
  eventRetentionDays: number;
  /** WORKER_RETENTION_DAYS: workers silent for longer are deleted (their steps keep no worker). @default 30 */
  workerRetentionDays: number;
  /** Step configs no step uses are deleted once older than this (never one a start is writing). @default 1 */
  stepConfigGraceHours: number;
  /** PRUNE_BATCH_SIZE: rows per DELETE, so no statement holds locks for long. @default 1000 */
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  idempotencyKeyHours: 24,
  eventRetentionDays: 30,
  workerRetentionDays: 30,
  stepConfigGraceHours: 1,
  batchSize: 1000,
};

/** The settings of a configuration; unset: DEFAULT_RETENTION. */
export function retentionSettings(config: {
  idempotencyKeyHours?: number;
  eventRetentionDays?: number;
  workerRetentionDays?: number;
  pruneBatchSize?: number;
}): RetentionSettings {
  const d = DEFAULT_RETENTION;
  return {
    idempotencyKeyHours: config.idempotencyKeyHours ?? d.idempotencyKeyHours,
    eventRetentionDays: config.eventRetentionDays ?? d.eventRetentionDays,
    workerRetentionDays: config.workerRetentionDays ?? d.workerRetentionDays,
    stepConfigGraceHours: d.stepConfigGraceHours,
    batchSize: config.pruneBatchSize ?? d.batchSize,
  };
}

export interface PruneResult {
  /** false: another replica's pass held the retention lease, nothing was done. */
  ran: boolean;
  idempotencyKeys: number;
  events: number;
  workers: number;
  stepConfigs: number;
}

/**
 * One pruner at a time across every replica of the database, with no session state (so it holds
 * behind a transaction-mode pooler such as PgBouncer, where consecutive statements of one client
 * connection may run on different server connections): a lease row, retention_lease, that a pass
 * takes for LEASE_SECONDS and renews in the transaction of each of its batches.
 *
 * Why not the alternatives:
 * - a session advisory lock (pg_try_advisory_lock) stays on whichever pooled
 *   server connection the statement landed on; the unlock may land on another one, so the lock
 *   leaks on an idle server connection, later passes find it "taken" with nobody pruning, and
 *   two passes whose lock statements land on the same server connection both get it;
 * - pg_try_advisory_xact_lock in each batch's transaction would only exclude batch from batch:
 *   two replicas could interleave their batches within one pass, and `ran: false` would no
 *   longer mean "another replica is pruning" (the guarantee below and its test rely on that).
 *
 * The guarantee: no batch of one pass runs while another pass holds the lease. Each batch's
 * transaction first renews the lease (`where holder = this pass`), which locks the row until
 * the batch commits; taking the lease skips a locked row (`for update skip locked`) and needs
 * it expired, so it can neither happen during a batch nor while another pass renews it. A pass
 * that lost the lease (it stalled for longer than LEASE_SECONDS and another took it) stops at
 * its next batch without deleting. A replica killed mid-pass holds the lease LEASE_SECONDS at
 * most.
 */
const LEASE_SECONDS = 60;
const LEASE = 'retention';

class LeaseLost extends Error {}

/** Takes the lease for `holder` if it is free (expired) and no batch holds its row; true if taken. */
async function takeLease(db: Knex, holder: string): Promise<boolean> {
  const { rows } = (await db.raw(
    `with free as (
       select name from retention_lease where name = ? and expires_at < now() for update skip locked)
     update retention_lease set holder = ?, expires_at = now() + make_interval(secs => ?)
     from free where retention_lease.name = free.name
     returning retention_lease.name`,
    [LEASE, holder, LEASE_SECONDS],
  )) as { rows: unknown[] };
  return rows.length === 1;
}

/** Renews the lease in a batch's transaction (its row stays locked until the batch commits). */
async function renewLease(trx: Knex.Transaction, holder: string): Promise<void> {
  const { rows } = (await trx.raw(
    `update retention_lease set expires_at = now() + make_interval(secs => ?)
     where name = ? and holder = ? returning name`,
    [LEASE_SECONDS, LEASE, holder],
  )) as { rows: unknown[] };
  if (rows.length !== 1) throw new LeaseLost('another replica took the retention lease');
}

async function releaseLease(db: Knex, holder: string): Promise<void> {
  await db.raw(`update retention_lease set holder = null, expires_at = '-infinity' where name = ? and holder = ?`, [
    LEASE,
    holder,
  ]);
}

/** Deletes up to `limit` rows of `table` matching `where`, oldest first; returns how many. */
async function deleteBatch(
  trx: Knex.Transaction,
  table: string,
  where: string,
  bindings: Knex.RawBinding[],
  limit: number,
  order: string,
): Promise<number> {
  const result = await trx.raw(
    `delete from ${table} where ctid = any(array(select ctid from ${table} where ${where} order by ${order} limit ?))`,
    [...bindings, limit],
  );
  return (result as { rowCount: number }).rowCount;
}

/**
 * One pass of retention at `now` (the injected clock): batches of at most `batchSize` rows until
 * nothing old is left, on one replica at a time (the retention lease above; `ran: false` when
 * another pass holds it). Each batch is a short transaction of its own (no long transaction
 * holding row locks). Event pruning moves the log's pruned_through (markPruned), so cursors from
 * before it are refused with reason CURSOR_EXPIRED.
 */
export async function pruneOnce(db: Knex, settings: RetentionSettings, now: Date): Promise<PruneResult> {
  const result: PruneResult = { ran: false, idempotencyKeys: 0, events: 0, workers: 0, stepConfigs: 0 };
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
  const n = settings.batchSize;
  const holder = randomUUID();
  if (!(await takeLease(db, holder))) return result;
  result.ran = true;
  type Kind = 'idempotencyKeys' | 'events' | 'workers' | 'stepConfigs';
  /** Batches of `fn`, each in a transaction that first renews the lease, until one is short. */
  const loop = async (kind: Kind, fn: (trx: Knex.Transaction) => Promise<number>) => {
    for (;;) {
      const k = await db.transaction(async (trx) => {
        await renewLease(trx, holder);
        return fn(trx);
      });
      result[kind] += k;
      if (k < n) return;
    }
  };
  try {
    await loop('idempotencyKeys', (trx) =>
      deleteBatch(trx, 'idempotency_key', 'created_at < ?', [hoursAgo(settings.idempotencyKeyHours)], n, 'created_at'),
    );
    const eventHorizon = hoursAgo(settings.eventRetentionDays * 24);
    // In a transaction with markPruned: from its commit on, cursors before these positions are
    // refused as expired (events/cursor.ts) instead of silently missing events.
    await loop('events', async (trx) => {
      const gone = (
        await trx.raw(
          `delete from lifecycle_event where id = any(array(
             select id from lifecycle_event where occurred_at < ? and position is not null order by position limit ?))
           returning position`,
          [eventHorizon, n],
        )
      ).rows as { position: string | number }[];
      if (gone.length) await markPruned(trx, Math.max(...gone.map((r) => Number(r.position))));
      return gone.length;
    });
    await loop('workers', (trx) =>
      deleteBatch(
        trx,
        'worker',
        `last_checkin_at < ? and not exists (select 1 from step where step.worker_id = worker.id and step.status = 'RUNNING')`,
        [hoursAgo(settings.workerRetentionDays * 24)],
        n,
        'last_checkin_at',
      ),
    );
    await loop('stepConfigs', (trx) =>
      deleteBatch(
        trx,
        'step_config',
        'created_at < ? and not exists (select 1 from step where step.step_config_id = step_config.id)',
        [hoursAgo(settings.stepConfigGraceHours)],
        n,
        'created_at',
      ),
    );
    return result;
  } catch (e) {
    // Another pass has the lease now: it prunes the rest (the counts are what this one deleted).
    if (e instanceof LeaseLost) return result;
    throw e;
  } finally {
    await releaseLease(db, holder).catch(() => undefined);
  }
}

export interface Pruner {
  /** Runs one pass now (tests call it with their clock). */
  run(): Promise<PruneResult>;
  stop(): void;
}

/** Retention in the background: a pass every `intervalSeconds`, logged and counted. */
export function startPruner(options: {
  db: Knex;
  settings: RetentionSettings;
  logger: Logger;
  /** PRUNE_INTERVAL_SECONDS; 0: no background passes (run() still works). @default 300 */
  intervalSeconds: number;
  clock?: () => Date;
  onPruned?(result: PruneResult): void;
}): Pruner {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<PruneResult> | null = null;
  const run = () =>
    (running ??= pruneOnce(options.db, options.settings, clock())
      .then((r) => {
        options.onPruned?.(r);
        if (r.ran && r.idempotencyKeys + r.events + r.workers + r.stepConfigs > 0)
          options.logger.info({ pruned: r }, 'retention pass deleted old rows');
        return r;
      })
      .finally(() => (running = null)));
  const timer =
    options.intervalSeconds > 0
      ? setInterval(() => {
          run().catch((e: unknown) => options.logger.warn({ err: e }, 'retention pass failed'));
        }, options.intervalSeconds * 1000)
      : null;
  timer?.unref();
  return { run, stop: () => timer && clearInterval(timer) };
}
