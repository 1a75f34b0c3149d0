import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { EVENTS_CHANNEL } from '../services/events';

export interface EventNotifierOptions {
  /** Where the NOTIFY is sent from (its own short statement, outside any write transaction). */
  db: Knex;
  /** Carried as the payload, so this process's bus can skip its own wake-ups. */
  instanceId: string;
  /** Wakes this process's bus at once (no round trip through PostgreSQL). */
  wakeLocal?(): void;
  logger?: Logger;
  /** At most one NOTIFY per this many ms; commits in between share the next one. @default 5 */
  intervalMs?: number;
}

/**
 * Tells every server process that events were committed. A NOTIFY inside each write
 * transaction made every commit take PostgreSQL's global notification lock, one after another,
 * and cost a statement per write; instead each process sends one NOTIFY per interval after
 * commit, however many writes committed in it, and wakes its own bus directly. A notification
 * lost to a crash between commit and NOTIFY only delays other processes until their bus polls
 * the log (the log, not the notification, is what subscribers read).
 */
export class EventNotifier {
  private cooling = false;
  private pending = false;

  constructor(private readonly options: EventNotifierOptions) {}

  /** Call after a transaction that wrote events has committed. */
  readonly committed = (): void => {
    this.options.wakeLocal?.();
    if (this.cooling) {
      this.pending = true;
      return;
    }
    this.send();
  };

  private send(): void {
    this.cooling = true;
    this.pending = false;
    this.options.db
      .raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, this.options.instanceId])
      .catch((e: unknown) =>
        this.options.logger?.warn({ err: e }, 'NOTIFY failed; other processes will see the events at their next poll'),
      )
      .finally(() => {
        const timer = setTimeout(() => {
          this.cooling = false;
          if (this.pending) this.send();
        }, this.options.intervalMs ?? 5);
        timer.unref();
      });
  }
}
