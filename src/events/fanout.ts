import type * as G from '../graphql/mappers';
import type { Logger } from '../logger';
import type { EventBatch } from './batch';
import type { LogPosition } from './cursor';

export type EventListener = (event: G.LifecycleEvent, position: LogPosition, batch: EventBatch) => void;

interface Channel {
  matches(event: G.LifecycleEvent): boolean;
  listeners: Set<EventListener>;
}

/**
 * The local subscribers of one process. Subscribers that share a filter share a channel, so the
 * work per event grows with the number of distinct filters, not of subscribers.
 */
export class FanOut {
  private readonly channels = new Map<string, Channel>();
  private readonly watchers = new Set<() => void>();

  constructor(private readonly logger: Logger) {}

  get listenerCount(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.listeners.size;
    return n;
  }

  /** Calls `watcher` after every listener added or removed; returns the way to stop. */
  watch(watcher: () => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  add(key: string, matches: (e: G.LifecycleEvent) => boolean, listener: EventListener): () => void {
    let channel = this.channels.get(key);
    if (!channel) {
      channel = { matches, listeners: new Set() };
      this.channels.set(key, channel);
    }
    channel.listeners.add(listener);
    this.changed();
    const ch = channel;
    return () => {
      ch.listeners.delete(listener);
      if (ch.listeners.size === 0 && this.channels.get(key) === ch) this.channels.delete(key);
      this.changed();
    };
  }

  deliver(event: G.LifecycleEvent, position: LogPosition, batch: EventBatch): void {
    for (const channel of this.channels.values()) {
      if (!channel.matches(event)) continue;
      for (const listener of channel.listeners) {
        try {
          listener(event, position, batch);
        } catch (e) {
          this.logger.error({ err: e }, 'event listener failed');
        }
      }
    }
  }

  clear(): void {
    this.channels.clear();
  }

  private changed(): void {
    for (const w of this.watchers) w();
  }
}
