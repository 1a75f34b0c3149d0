import type { Knex } from 'knex';
import { EVENTS_CHANNEL } from '../services/lifecycleEvents';

/** Events numbered per round trip; a longer backlog takes several. */
const BATCH = 5000;

/**
 * Numbers committed events that have no position yet, in id order, one sequencer at a time
 * across every process (the `event_log_head` row lock; see the migration that made it).
 * Returns how many it numbered. With `notify`, the same statement sends the wake-up to other
 * processes (the payload is the sender's instance id): it is delivered when the numbering
 * commits, one round trip sooner than a NOTIFY sent after it.
 *
 * Why this gives commit order per step, run and group: the events of one of them are inserted
 * while its row is locked, so a later change's event is inserted (and gets its id) only after
 * the earlier change committed. Any run that sees the later event sees the earlier one too, and
 * numbers it first (id order) unless an earlier run already did.
 */
export async function sequenceLog(db: Knex, max = BATCH, notify?: string): Promise<number> {
  const { rows } = (await (notify === undefined
    ? db.raw(`/* sequence */ select sequence_lifecycle_events(:max) as n`, { max })
    : db.raw(`/* sequence and notify */ select sequence_lifecycle_events(:max) as n, pg_notify(:channel, :notify)`, {
        max,
        channel: EVENTS_CHANNEL,
        notify,
      }))) as { rows: { n: number }[] };
  return rows[0]!.n;
}

/** The notifier's side of a run that may carry its NOTIFY (see EventNotifier.claim). */
export interface NotifyCarrier {
  /** The payload to send with this run's statements, or null (nobody listens, or it is cooling). */
  claim(): string | null;
  /** The run that claimed it finished (sent or failed). */
  release(): void;
}

/**
 * One process's way into sequenceLog: concurrent requests share runs. `run()` resolves after a
 * run that started after the call has finished, so everything committed before the call has a
 * position when it resolves; it resolves to true when that run also told the other processes.
 */
export class Sequencer {
  private running: Promise<boolean> | null = null;
  private next: Promise<boolean> | null = null;
  private nextCarries = false;
  private carrier: NotifyCarrier | null = null;

  constructor(private readonly db: Knex) {}

  /** From then on, runs carry the notifier's NOTIFY whenever it may send one. */
  carry(carrier: NotifyCarrier): void {
    this.carrier = carrier;
  }

  /**
   * `carry`: this caller wrote events, so the run tells the other processes (a poll's run, which
   * only numbers events of writers that died before sequencing them, does not).
   */
  run(carry = true): Promise<boolean> {
    if (!this.running) {
      this.running = this.drain(carry).finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A run is under way and may have started before the caller's commit: join the next one.
    this.nextCarries ||= carry;
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        const carries = this.nextCarries;
        this.next = null;
        this.nextCarries = false;
        return this.run(carries);
      });
    return this.next;
  }

  private async drain(carry: boolean): Promise<boolean> {
    const carrier = carry ? this.carrier : null;
    const notify = carrier?.claim() ?? null;
    try {
      // Every statement of the run carries it: the last one's commit is what makes the run visible.
      while ((await sequenceLog(this.db, BATCH, notify ?? undefined)) === BATCH);
      return notify !== null;
    } finally {
      if (notify !== null) carrier!.release();
    }
  }
}
