import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { TEST_ADMIN_KEY, type TestServer } from './server';
import { until } from './wait';

export interface Received<T> {
  values: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves when `count` values have arrived (or the stream ended). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  waitForEnd(timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

export function wsClient(httpUrl: string, options: { connectionParams?: Record<string, unknown> } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: options.connectionParams ?? { authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
}

/** Subscribes and collects every `next` payload's data. */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Received<T> {
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const received: Received<T> = {
    values: [],
    errors: [],
    completed: false,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out with ${received.values.length}/${count} values; errors: ${JSON.stringify(received.errors)}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          if (received.values.length >= count || received.completed || received.errors.length) {
            clearTimeout(timer);
            resolve(received.values);
          } else waiters.push(check);
        };
        check();
      });
    },
    waitForEnd(timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('stream did not end')), timeoutMs);
        const check = () => {
          if (received.completed || received.errors.length) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    unsubscribe: () => undefined,
  };
  received.unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors) received.errors.push(...msg.errors);
        if (msg.data) received.values.push(msg.data as T);
        notify();
      },
      error: (e) => {
        received.errors.push(e);
        notify();
      },
      complete: () => {
        received.completed = true;
        notify();
      },
    },
  );
  return received;
}

/**
 * Subscribing is asynchronous: returns a function that waits until `count` more listeners than
 * now have been added to the server's bus.
 */
export function listening(s: TestServer): (count: number) => Promise<void> {
  let added = 0;
  let last = s.server.bus.listenerCount;
  const stop = s.server.bus.watchListeners(() => {
    const now = s.server.bus.listenerCount;
    if (now > last) added += now - last;
    last = now;
  });
  return async (count) => {
    try {
      await until(() => added >= count);
    } finally {
      stop();
    }
  };
}
