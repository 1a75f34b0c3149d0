import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import type * as G from '../graphql/mappers';
import type { Logger } from '../logger';
import { EVENTS_CHANNEL } from '../services/lifecycleEvents';
import { EventBatch } from './batch';
import { comparePositions, type LogPosition } from './cursor';
import { LISTENER_APPLICATION_NAME } from './notifier';
import { headPosition, readLog } from './log';

/** Commits within this many ms share one read of the log. */
const WAKE_DELAY_MS = 2;

export type EventListener = (event: G.LifecycleEvent, position: LogPosition, batch: EventBatch) => void;

interface Channel {
  matches(event: G.LifecycleEvent): boolean;
  listeners: Set<EventListener>;
}

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
 * One per server process: one LISTEN connection, each event read from the log once and handed
 * to every local channel whose filter matches. Subscribers that share a filter share a channel,
 * so the work per event grows with the number of distinct filters, not of subscribers.
 */
export class EventBus {
  private position: LogPosition = { txId: '0', id: 0 };
  private readonly channels = new Map<string, Channel>();
  private listener: pg.Client | null = null;
  private stopped = false;
  private draining = false;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = 100;

  /** Payload of this process's own NOTIFYs (see EventNotifier), which the bus skips. */
  readonly instanceId = randomUUID();

  constructor(private readonly options: EventBusOptions) {}

  private wakeTimer: NodeJS.Timeout | null = null;

  /**
   * Something was committed by this process: read the log within a couple of milliseconds.
   * Commits in that window share one read (under load, most of them).
   */
  wake(): void {
    if (this.wakeTimer || this.stopped) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.drain();
    }, WAKE_DELAY_MS);
    this.wakeTimer.unref();
  }

  async start(): Promise<void> {
    this.position = await headPosition(this.options.db);
    if (this.options.listen ?? true) await this.connect();
    this.pollTimer = setInterval(() => this.drain(), this.options.pollIntervalMs ?? 2000);
    this.pollTimer.unref();
  }

  /** Everything up to here has been handed to the channels. */
  get currentPosition(): LogPosition {
    return this.position;
  }

  /** The pool the bus reads through (for tests that count its statements). */
  get db(): Knex {
    return this.options.db;
  }

  /** Number of local listeners, for metrics and leak tests. */
  get listenerCount(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.listeners.size;
    return n;
  }

  /** Listeners ever added: only grows (a metric, and what tests wait on). */
  listensTotal = 0;

  /** The pid of the LISTEN connection's backend (tests terminate it to prove reconnection). */
  listenerBackendPid: number | null = null;

  /**
   * Adds a listener for events after the current position. Returns that position (everything
   * up to it is the caller's to replay from the log) and a function that removes the listener.
   */
  listen(
    key: string,
    matches: (e: G.LifecycleEvent) => boolean,
    listener: EventListener,
  ): { position: LogPosition; remove(): void } {
    let channel = this.channels.get(key);
    if (!channel) {
      channel = { matches, listeners: new Set() };
      this.channels.set(key, channel);
    }
    channel.listeners.add(listener);
    this.listensTotal++;
    const ch = channel;
    return {
      position: this.position,
      remove: () => {
        ch.listeners.delete(listener);
        if (ch.listeners.size === 0 && this.channels.get(key) === ch) this.channels.delete(key);
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => undefined);
    this.channels.clear();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: LISTENER_APPLICATION_NAME,
    });
    client.on('notification', (msg) => {
      if (msg.payload !== this.instanceId) this.drain();
    });
    const lost = (reason: unknown) => {
      if (this.listener !== client) return;
      this.listener = null;
      this.options.logger.warn({ err: reason }, 'LISTEN connection lost; reconnecting');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.listenerBackendPid = ((await client.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    this.listener = client;
    this.reconnectDelayMs = 100;
    // Whatever was committed while no one listened is in the log: read it now.
    this.drain();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, 5000);
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((e: unknown) => {
        this.options.logger.warn({ err: e }, 'LISTEN reconnect failed');
        this.scheduleReconnect();
      });
    }, delay).unref();
  }

  /** Reads every safe event after the position and fans it out; one drain at a time. */
  private drain(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
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

  private async drainLoop(): Promise<void> {
    const { db } = this.options;
    for (;;) {
      this.drainAgain = false;
      const limit = 1000;
      const { events, waiting } = await readLog(db, this.position, limit);
      if (events.length > 0) {
        await this.options.beforeFanOut?.();
        const batch = new EventBatch(db);
        const now = Date.now();
        for (const event of events) {
          const position = { txId: event.txId, id: event.id };
          if (comparePositions(position, this.position) <= 0) continue;
          this.position = position;
          this.fanOut(event, position, batch);
          this.options.onDelivered?.((now - new Date(event.occurredAt).getTime()) / 1000);
        }
        if (events.length === limit) continue;
      }
      // Committed events behind a transaction still running: look again shortly, since no
      // notification will come when that transaction ends without writing events.
      if (waiting && !this.stopped) {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.drain(), 5);
        this.retryTimer.unref();
      }
      return;
    }
  }

  private fanOut(event: G.LifecycleEvent, position: LogPosition, batch: EventBatch): void {
    for (const channel of this.channels.values()) {
      if (!channel.matches(event)) continue;
      for (const listener of channel.listeners) {
        try {
          listener(event, position, batch);
        } catch (e) {
          this.options.logger.error({ err: e }, 'event listener failed');
        }
      }
    }
  }
}
