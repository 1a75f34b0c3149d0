import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type * as G from '../graphql/mappers';
import type { Logger } from '../logger';
import { EventBatch } from './batch';
import { logBounds, type LogPosition } from './cursor';
import { FanOut, type EventListener } from './fanout';
import { GroupWatch, type GroupWatchHandle } from './groupWatch';
import { LogListener } from './listener';
import { readEvents } from './log';
import { Sequencer, type NotifyCarrier } from './sequencer';

export type { EventListener } from './fanout';

/** Commits within this many ms share one read of the log. */
const WAKE_DELAY_MS = 2;
const READ_LIMIT = 1000;

export interface EventBusOptions {
  /** Where events are read, and the loaders of subscription fields go. */
  db: Knex;
  /** For the LISTEN connection, which is the bus's own, outside the pool. */
  connectionString: string;
  logger: Logger;
  /** How often to look at the log without a notification, as a safety net. @default 2000 */
  pollIntervalMs?: number;
  /** LISTEN for other processes' wake-ups; off (LIVE_EVENTS=false), the bus only polls. @default true */
  listen?: boolean;
  /** Called with the seconds from an event's commit to its fan-out, for metrics. */
  onDelivered?(lagSeconds: number): void;
  /**
   * Runs after a batch of events was read and before it is handed out (the key watch: an event
   * committed after a key's revocation must not reach that key's subscriptions). When it fails,
   * the batch is read again on the next wake-up.
   */
  beforeFanOut?(): Promise<void>;
}

/**
 * One per server process, in three parts: the LISTEN connection (LogListener: wake-ups,
 * reconnects), the log reader (Sequencer + readEvents: every event once, in position order)
 * and the fan-out to local subscribers (FanOut).
 */
/** PostgreSQL's undefined_table: the schema is older than this code (migrations pending). */
const UNDEFINED_TABLE = '42P01';

export class EventBus {
  private position: LogPosition = 0;
  /** False until the log's head was read: with MIGRATE_ON_START=false its table may not exist yet. */
  private positioned = false;
  private readonly fanOut: FanOut;
  private readonly groups = new GroupWatch();
  private readonly sequencer: Sequencer;
  private listener: LogListener | null = null;
  private stopped = false;
  private draining = false;
  private drainAgain = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the last drain started (see wake). */
  private lastDrainAt = -Infinity;

  /** Payload of this process's own NOTIFYs (see EventNotifier), which the bus skips. */
  readonly instanceId = randomUUID();

  constructor(private readonly options: EventBusOptions) {
    this.fanOut = new FanOut(options.logger);
    this.sequencer = new Sequencer(options.db);
  }

  /**
   * Something was committed by this process: read the log at once when no read started within
   * the last couple of milliseconds (a lone commit waits for nothing), else at the end of that
   * window, so commits in it share one read (under load, most of them).
   */
  wake(): void {
    if (this.wakeTimer || this.stopped) return;
    const since = performance.now() - this.lastDrainAt;
    if (since >= WAKE_DELAY_MS && !this.draining) {
      this.drain();
      return;
    }
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.drain();
      },
      Math.max(0, WAKE_DELAY_MS - since),
    );
    this.wakeTimer.unref();
  }

  /**
   * Gives every event committed before the call its position (resolves when it has): a writer
   * awaits it after commit, so its own events are in the log's order when it answers. True when
   * the run also told the other processes (carryNotifications).
   */
  sequence(): Promise<boolean> {
    return this.sequencer.run();
  }

  /** Sequencing runs carry the notifier's NOTIFY when it may send one (see Sequencer.carry). */
  carryNotifications(carrier: NotifyCarrier): void {
    this.sequencer.carry(carrier);
  }

  async start(): Promise<void> {
    if (!(await this.findPosition())) {
      this.options.logger.warn('the event log is not migrated yet: live events start once migrations are applied');
    }
    if (this.options.listen ?? true) {
      this.listener = new LogListener({
        connectionString: this.options.connectionString,
        logger: this.options.logger,
        ownPayload: this.instanceId,
        // The writer sequenced its events before it sent the wake-up (see startEvents).
        onWake: () => this.drain(),
        onRunGroupDeleted: (id) => this.groups.gone(id),
        onConnected: () => this.verifyGroups(),
      });
      await this.listener.start();
    }
    this.pollTimer = setInterval(() => {
      this.poll();
      this.verifyGroups();
    }, this.options.pollIntervalMs ?? 2000);
    this.pollTimer.unref();
  }

  /** Everything up to here has been handed to the channels. */
  get currentPosition(): LogPosition {
    return this.position;
  }

  /** The pool the bus reads through. */
  get db(): Knex {
    return this.options.db;
  }

  /** Number of local listeners (a metric). */
  get listenerCount(): number {
    return this.fanOut.listenerCount;
  }

  /** Calls `watcher` whenever a listener is added or removed; returns the way to stop. */
  watchListeners(watcher: () => void): () => void {
    return this.fanOut.watch(watcher);
  }

  /** The pid of the LISTEN connection's backend (EventNotifier leaves it out of "others"). */
  get listenerBackendPid(): number | null {
    return this.listener?.backendPid ?? null;
  }

  /**
   * Adds a listener for events after the current position. Returns that position (everything
   * up to it is the caller's to replay from the log) and a function that removes the listener.
   */
  listen(
    key: string,
    matches: (e: G.LifecycleEvent) => boolean,
    listener: EventListener,
  ): { position: LogPosition; remove(): void } {
    const remove = this.fanOut.add(key, matches, listener);
    return { position: this.position, remove };
  }

  /**
   * Calls `onGone` once the run group is deleted (see GroupWatch): watch first, then read the
   * group and `confirm()` that it exists.
   */
  watchRunGroup(runGroupId: string, onGone: () => void): GroupWatchHandle {
    return this.groups.watch(runGroupId, onGone);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.listener?.stop();
    this.fanOut.clear();
  }

  /**
   * The safety net: numbers events whose writer died between its commit and its sequencing,
   * then reads the log. The numbering is not part of the drain: a wake-up meanwhile reads at
   * once rather than behind it (every writer sequences its own events before it wakes anyone).
   */
  private poll(): void {
    if (this.stopped) return;
    // Before the log's head was read its table may not exist: the drain finds out first.
    if (!this.positioned) return this.drain();
    void this.sequencer
      .run(false)
      .catch((e: unknown) => {
        if (!this.stopped) this.options.logger.error({ err: e }, 'sequencing the event log failed');
      })
      .finally(() => this.drain());
  }

  /** Reads every event after the position and fans it out; one drain at a time. */
  private drain(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    this.lastDrainAt = performance.now();
    void this.drainLoop()
      .catch((e: unknown) => this.options.logger.error({ err: e }, 'reading the event log failed'))
      .finally(() => {
        this.draining = false;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.drain();
        }
      });
  }

  /** Ends the watches of deleted groups the notification did not reach (lost, or no LISTEN). */
  private verifyGroups(): void {
    if (this.stopped || this.groups.size === 0) return;
    this.groups
      .verify(this.options.db)
      .catch((e: unknown) => this.options.logger.warn({ err: e }, 'checking watched run groups failed'));
  }

  /** Reads the log's head once; false while its table does not exist (migrations pending). */
  private async findPosition(): Promise<boolean> {
    if (this.positioned) return true;
    try {
      this.position = (await logBounds(this.options.db)).head;
    } catch (e) {
      if ((e as { code?: string }).code === UNDEFINED_TABLE) return false;
      throw e;
    }
    this.positioned = true;
    return true;
  }

  private async drainLoop(): Promise<void> {
    const { db } = this.options;
    if (!(await this.findPosition())) return;
    for (;;) {
      this.drainAgain = false;
      const events = await readEvents(db, this.position, { limit: READ_LIMIT });
      if (events.length === 0) return;
      await this.options.beforeFanOut?.();
      const batch = new EventBatch(db);
      const now = Date.now();
      for (const event of events) {
        const position = event.position!;
        if (position <= this.position) continue;
        this.position = position;
        this.fanOut.deliver(event, position, batch);
        this.options.onDelivered?.((now - new Date(event.occurredAt).getTime()) / 1000);
      }
      if (events.length < READ_LIMIT) return;
    }
  }
}
