import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { EVENTS_CHANNEL } from '../services/lifecycleEvents';

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
  /**
   * The backend pid of this process's own LISTEN connection: with no other listener on the
   * database, there is no one to NOTIFY (the local bus is woken directly).
   */
  ownListenerPid?(): number | null;
  /** How often to look for other processes' LISTEN connections. @default 1000 */
  listenersCheckMs?: number;
}

/** application_name of every bus's LISTEN connection (EventBus). */
export const LISTENER_APPLICATION_NAME = 'runledger-listen';

/**
 * Tells every server process that events were committed. A NOTIFY inside each write
 * transaction made every commit take PostgreSQL's global notification lock, one after another,
 * and cost a statement per write; instead each process sends one NOTIFY per interval after
 * commit, however many writes committed in it, and wakes its own bus directly. A notification
 * lost to a crash between commit and NOTIFY only delays other processes until their bus polls
 * the log (the log, not the notification, is what subscribers read). With no other process
 * listening (one server, the usual embedded set-up) no NOTIFY is sent at all.
 */
export class EventNotifier {
  private cooling = false;
  private pending = false;
  /** Until the first check says otherwise, assume someone else listens. */
  private othersListening = true;
  private checkTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Checks run one after another, so a slow earlier one never overwrites a later answer. */
  private checking: Promise<void> = Promise.resolve();
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly options: EventNotifierOptions) {
    if (options.ownListenerPid) {
      this.checkTimer = setInterval(() => void this.checkListeners(), options.listenersCheckMs ?? 1000);
      this.checkTimer.unref();
      void this.checkListeners();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
  }

  /**
   * Looks for other processes' listeners now (it also runs every `listenersCheckMs`). A replica
   * that starts listening is noticed within a check interval; until then it still reads the log
   * at start and on its own poll, so it only waits longer, it never misses.
   */
  checkListeners(): Promise<void> {
    this.checking = this.checking.then(() => this.lookForListeners());
    return this.checking;
  }

  /** Resolves once no NOTIFY is being sent or waiting for its interval to end. */
  settled(): Promise<void> {
    if (!this.cooling) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private async lookForListeners(): Promise<void> {
    try {
      const own = this.options.ownListenerPid?.() ?? null;
      const { rows } = (await this.options.db.raw(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = ? and pid is distinct from ?`,
        [LISTENER_APPLICATION_NAME, own],
      )) as { rows: { n: number }[] };
      this.othersListening = own === null || rows[0]!.n > 0;
    } catch (e) {
      this.othersListening = true;
      if (this.stopped) return; // the pool closed under a check at shutdown
      this.options.logger?.warn({ err: e }, 'could not look for other listeners; notifying anyway');
    }
  }

  /**
   * Call after a transaction that wrote events has committed and was sequenced; `carried`: the
   * sequencing run already sent the NOTIFY (claim), nothing more to send.
   */
  readonly committed = (carried = false): void => {
    this.options.wakeLocal?.();
    if (!this.othersListening || carried) return;
    if (this.cooling) {
      this.pending = true;
      return;
    }
    this.send();
  };

  /**
   * A sequencing run asks to carry the NOTIFY in its own statement (src/events/sequencer.ts):
   * the payload when one may be sent now (someone else listens, not cooling), else null. The
   * interval starts when the run calls `release`.
   */
  readonly claim = (): string | null => {
    if (!this.othersListening || this.cooling || this.stopped) return null;
    this.cooling = true;
    this.pending = false;
    return this.options.instanceId;
  };

  readonly release = (): void => {
    this.cool();
  };

  private send(): void {
    this.cooling = true;
    this.pending = false;
    this.options.db
      .raw('/* notify */ select pg_notify(?, ?)', [EVENTS_CHANNEL, this.options.instanceId])
      .catch((e: unknown) =>
        this.options.logger?.warn({ err: e }, 'NOTIFY failed; other processes will see the events at their next poll'),
      )
      .finally(() => this.cool());
  }

  /** The interval after a NOTIFY: commits in it share the next one. */
  private cool(): void {
    const timer = setTimeout(() => {
      this.cooling = false;
      if (this.pending) this.send();
      else for (const resolve of this.settledWaiters.splice(0)) resolve();
    }, this.options.intervalMs ?? 5);
    timer.unref();
  }
}
