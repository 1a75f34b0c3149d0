import pg from 'pg';
import type { Logger } from '../logger';
import { EVENTS_CHANNEL } from '../services/lifecycleEvents';
import { RUN_GROUP_DELETED_CHANNEL } from './groupWatch';
import { LISTENER_APPLICATION_NAME } from './notifier';

export interface LogListenerOptions {
  /** The listener's own connection, outside any pool (a pooler in transaction mode cannot LISTEN). */
  connectionString: string;
  logger: Logger;
  /** This process's NOTIFY payload (EventNotifier), not a wake-up for it. */
  ownPayload: string;
  /** Another process committed events, or the connection was (re)established. */
  onWake(): void;
  /** A run group was deleted (by any process, this one included). */
  onRunGroupDeleted?(runGroupId: string): void;
  /** The connection was (re)established: notifications sent while it was down are lost. */
  onConnected?(): void;
}

/**
 * The LISTEN connection: wake-ups from other processes, and reconnection with backoff when the
 * connection drops. Notifications sent while it was down are lost, so every (re)connect also
 * wakes the reader, which finds those events in the log.
 */
export class LogListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private reconnectDelayMs = 100;
  private reconnectTimer: NodeJS.Timeout | null = null;

  /** The pid of the connection's backend: EventNotifier skips it when looking for other listeners. */
  backendPid: number | null = null;

  constructor(private readonly options: LogListenerOptions) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: LISTENER_APPLICATION_NAME,
    });
    client.on('notification', (msg) => {
      if (msg.channel === RUN_GROUP_DELETED_CHANNEL) {
        if (msg.payload) this.options.onRunGroupDeleted?.(msg.payload);
      } else if (msg.payload !== this.options.ownPayload) this.options.onWake();
    });
    const lost = (reason: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      this.options.logger.warn({ err: reason }, 'LISTEN connection lost; reconnecting');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${RUN_GROUP_DELETED_CHANNEL}`);
    this.backendPid = ((await client.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    this.client = client;
    this.reconnectDelayMs = 100;
    // Whatever was committed while no one listened is in the log: read it now.
    this.options.onWake();
    this.options.onConnected?.();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, 5000);
    this.reconnectTimer = setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((e: unknown) => {
        this.options.logger.warn({ err: e }, 'LISTEN reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}
