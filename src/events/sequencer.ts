import type { Knex } from 'knex';

/** Events numbered per round trip; a longer backlog takes several. */
const BATCH = 5000;

/**
 * Numbers committed events that have no position yet, in id order, one sequencer at a time
 * across every process (the `event_log_head` row lock; see the migration that made it).
 * Returns how many it numbered.
 *
 * Why this gives commit order per step, run and group: the events of one of them are inserted
 * while its row is locked, so a later change's event is inserted (and gets its id) only after
 * the earlier change committed. Any run that sees the later event sees the earlier one too, and
 * numbers it first (id order) unless an earlier run already did.
 */
export async function sequenceLog(db: Knex, max = BATCH): Promise<number> {
  const { rows } = (await db.raw(`select sequence_lifecycle_events(?) as n`, [max])) as { rows: { n: number }[] };
  return rows[0]!.n;
}

/**
 * One process's way into sequenceLog: concurrent requests share runs. `run()` resolves after a
 * run that started after the call has finished, so everything committed before the call has a
 * position when it resolves.
 */
export class Sequencer {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly db: Knex) {}

  run(): Promise<void> {
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A run is under way and may have started before the caller's commit: join the next one.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.run();
      });
    return this.next;
  }

  private async drain(): Promise<void> {
    while ((await sequenceLog(this.db)) === BATCH);
  }
}
