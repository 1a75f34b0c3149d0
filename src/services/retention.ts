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
  /** false: another replica held the lock, nothing was done. */
  ran: boolean;
  idempotencyKeys: number;
  events: number;
  workers: number;
  stepConfigs: number;
}

// pg_try_advisory_lock key: one pruner at a time across every replica of the database.
const PRUNE_LOCK = 0x72756e6c; // 'runl'

/** Deletes up to `limit` rows of `table` matching `where`, oldest first; returns how many. */
async function deleteBatch(
  db: Knex,
  table: string,
  where: string,
  bindings: Knex.RawBinding[],
  limit: number,
  order: string,
): Promise<number> {
  const result = await db.raw(
    `delete from ${table} where ctid = any(array(select ctid from ${table} where ${where} order by ${order} limit ?))`,
    [...bindings, limit],
  );
  return (result as { rowCount: number }).rowCount;
}

/**
 * One pass of retention at `now` (the injected clock): batches of at most `batchSize` rows until
 * nothing old is left, on one replica at a time (a session advisory lock on a connection of its
 * own). Event pruning moves the log's pruned_through (markPruned), so cursors from before it
 * are refused with reason CURSOR_EXPIRED.
 */
export async function pruneOnce(db: Knex, settings: RetentionSettings, now: Date): Promise<PruneResult> {
  const result: PruneResult = { ran: false, idempotencyKeys: 0, events: 0, workers: 0, stepConfigs: 0 };
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
  const n = settings.batchSize;
  // A session lock, held on a connection of its own for the whole pass; the deletes are short
  // statements of their own (no long transaction holding row locks).
  const lockConn: unknown = await db.client.acquireConnection();
  try {
    const got = await db.raw('select pg_try_advisory_lock(?) as ok', [PRUNE_LOCK]).connection(lockConn);
    if (!(got.rows[0] as { ok: boolean }).ok) return result;
    result.ran = true;
    const loop = async (fn: () => Promise<number>) => {
      let total = 0;
      for (;;) {
        const k = await fn();
        total += k;
        if (k < n) return total;
      }
    };
    result.idempotencyKeys = await loop(() =>
      deleteBatch(db, 'idempotency_key', 'created_at < ?', [hoursAgo(settings.idempotencyKeyHours)], n, 'created_at'),
    );
    const eventHorizon = hoursAgo(settings.eventRetentionDays * 24);
    // In a transaction with markPruned: from its commit on, cursors before these positions are
    // refused as expired (events/cursor.ts) instead of silently missing events.
    result.events = await loop(() =>
      db.transaction(async (trx) => {
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
      }),
    );
    result.workers = await loop(() =>
      deleteBatch(
        db,
        'worker',
        `last_checkin_at < ? and not exists (select 1 from step where step.worker_id = worker.id and step.status = 'RUNNING')`,
        [hoursAgo(settings.workerRetentionDays * 24)],
        n,
        'last_checkin_at',
      ),
    );
    result.stepConfigs = await loop(() =>
      deleteBatch(
        db,
        'step_config',
        'created_at < ? and not exists (select 1 from step where step.step_config_id = step_config.id)',
        [hoursAgo(settings.stepConfigGraceHours)],
        n,
        'created_at',
      ),
    );
    return result;
  } finally {
    if (result.ran)
      await db
        .raw('select pg_advisory_unlock(?)', [PRUNE_LOCK])
        .connection(lockConn)
        .catch(() => undefined);
    await db.client.releaseConnection(lockConn);
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
