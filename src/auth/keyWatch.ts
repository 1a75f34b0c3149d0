import type { Knex } from 'knex';
import type { Logger } from '../logger';

/** A socket authenticated with an API key, as the key watch sees it. */
export interface WatchedSocket {
  readonly keyId: string;
  /** Closes the socket (4403): called once, when its key was revoked or expired. */
  close(): void;
}

export interface KeyWatchOptions {
  db: Knex;
  logger: Logger;
  /** How often open sockets' keys are looked at while no event arrives. @default 250 */
  intervalMs?: number;
}

/**
 * The keys of this process's open sockets. A revoked or expired key closes its sockets on every
 * replica within a second (each process looks at its own sockets' keys every `intervalMs`), and
 * the bus calls `check` after reading a batch of events and before handing it out: an event
 * committed after the revoking commit is read in a snapshot older than that check's, so the
 * check sees the revocation and the event never reaches the key's subscriptions.
 */
export class KeyWatch {
  private readonly sockets = new Map<string, Set<WatchedSocket>>();
  private readonly revoked = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: KeyWatchOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.check().catch((e: unknown) => this.options.logger.warn({ err: e }, "checking open sockets' keys failed"));
    }, this.options.intervalMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Watches a socket's key until the returned function is called (the socket closed). */
  add(socket: WatchedSocket): () => void {
    let set = this.sockets.get(socket.keyId);
    if (!set) this.sockets.set(socket.keyId, (set = new Set()));
    set.add(socket);
    return () => {
      set.delete(socket);
      if (set.size === 0 && this.sockets.get(socket.keyId) === set) this.sockets.delete(socket.keyId);
    };
  }

  /** False once the key was seen revoked or expired: nothing more is delivered under it. */
  isValid(keyId: string): boolean {
    return !this.revoked.has(keyId);
  }

  /** One statement for every watched key (none while no keyed socket is open). */
  async check(): Promise<void> {
    if (this.sockets.size === 0) return;
    const ids = [...this.sockets.keys()];
    const valid = (await this.options
      .db('api_key')
      .select('id')
      .whereIn('id', ids)
      .whereNull('revokedAt')
      .where((q) => {
        void q.whereNull('expiresAt').orWhereRaw('expires_at > now()');
      })) as { id: string }[];
    const still = new Set(valid.map((r) => r.id));
    // Revoked, expired or deleted outright: gone.
    const gone = ids.filter((id) => !still.has(id));
    for (const id of gone) {
      this.revoked.add(id);
      const set = this.sockets.get(id);
      this.sockets.delete(id);
      for (const socket of set ?? []) socket.close();
    }
  }
}
