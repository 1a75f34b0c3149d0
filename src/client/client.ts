// A small typed client for runledger: `request` over HTTP, `subscribe` over graphql-ws that
// resumes from the last cursor after a reconnect. Documents come from src/client/operations
// (typed by `npm run codegen`), or from your own codegen pointed at schema.graphql.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

export interface RunledgerClientOptions {
  /** e.g. http://localhost:4000/graphql (the WebSocket URL is derived from it). */
  url: string;
  apiKey: string;
  /** A WebSocket implementation where there is no global one (Node < 22: the `ws` package). */
  webSocketImpl?: unknown;
  /** Wait before resubscribing after the socket dropped. @default 500 */
  retryDelayMs?: number;
}

export class RunledgerError extends Error {
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(
      errors
        .map((e) => `${typeof e.extensions?.code === 'string' ? e.extensions.code : 'ERROR'}: ${e.message}`)
        .join('; '),
    );
  }
}

export interface SubscribeHandlers<T> {
  next(data: T): void;
  /** GraphQL errors of the subscription (a bad cursor, a missing run group...): it ends. */
  error?(error: RunledgerError): void;
  /** The server ended the subscription (runGroupProgress of a finished group). */
  complete?(): void;
}

export interface RunledgerClient {
  request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult>;
  /**
   * Subscribes; after a dropped connection, subscribes again with `after` set to the cursor of
   * the last event received, so nothing is missed and nothing arrives twice.
   * @returns a function that unsubscribes.
   */
  subscribe<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    handlers: SubscribeHandlers<TResult>,
  ): () => void;
  /** Drops the live connections (they come back, resuming): for network changes, and tests. */
  reconnect(): void;
  dispose(): Promise<void>;
}

/** The cursor of a subscription payload: `{ <field>: { cursor } }`. */
function cursorOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const root = Object.values(data as Record<string, unknown>)[0];
  const cursor = root && typeof root === 'object' ? (root as { cursor?: unknown }).cursor : undefined;
  return typeof cursor === 'string' ? cursor : undefined;
}

/**
 * graphql-ws's dispose() awaits a connection still being made and rejects when that fails (a
 * server that is stopping answers 503): left unhandled, that rejection would end the process.
 */
function disposeQuietly(client: Client | null): void {
  if (client) void Promise.resolve(client.dispose()).catch(() => undefined);
}

export function createRunledgerClient(options: RunledgerClientOptions): RunledgerClient {
  const authorization = `Bearer ${options.apiKey}`;
  const wsUrl = options.url.replace(/^http/, 'ws');
  const live = new Set<{ stop(): void }>();
  // One socket for every subscription of this client (a worker's slots and its revocations): a
  // slot that opens does not pay for a connection and its authentication. Lazy, it closes when
  // the last subscription ends; after a drop, each subscription subscribes again on a new one.
  // A socket the server refused one more subscription (WS_MAX_SUBSCRIPTIONS_PER_SOCKET) is full:
  // the next subscriptions go on another one.
  interface Shared {
    client: Client;
    open: boolean;
    full: boolean;
  }
  const sockets: Shared[] = [];
  const shared = (): Shared => {
    const free = sockets.find((s) => !s.full);
    if (free) return free;
    const s: Shared = {
      open: false,
      full: false,
      client: createClient({
        url: wsUrl,
        webSocketImpl: options.webSocketImpl,
        connectionParams: { authorization },
        retryAttempts: 0,
        lazy: true,
        on: {
          connected: () => (s.open = true),
          closed: () => {
            s.open = false;
            // A dropped socket starts empty: its subscriptions subscribe again, anywhere.
            s.full = false;
          },
        },
      }),
    };
    sockets.push(s);
    return s;
  };
  const perSocketRefusal = (errors: readonly GraphQLFormattedError[]) =>
    errors.some((e) => e.extensions?.code === 'TOO_MANY_SUBSCRIPTIONS' && e.extensions?.limit === 'perSocket');

  return {
    async request(document, variables) {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: GraphQLFormattedError[] };
      if (body.errors?.length) throw new RunledgerError(body.errors);
      return body.data as never;
    },

    subscribe(document, variables, handlers) {
      const query = print(document);
      let after = (variables as { after?: string | null }).after ?? undefined;
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let unsubscribe: (() => void) | null = null;
      const entry = {
        stop: () => {
          stopped = true;
          if (timer) clearTimeout(timer);
          unsubscribe?.();
          unsubscribe = null;
          leave();
          live.delete(entry);
        },
      };
      let on: Shared | null = null;
      const leave = () => {
        // A place freed on its socket (a refused subscription's own leave is undone below).
        if (on) on.full = false;
        on = null;
      };
      const start = () => {
        if (stopped) return;
        const socket = shared();
        on = socket;
        unsubscribe = socket.client.subscribe(
          { query, variables: { ...variables, ...(after ? { after } : {}) } },
          {
            next: (result) => {
              if (result.errors?.length) return handlers.error?.(new RunledgerError(result.errors));
              const cursor = cursorOf(result.data);
              if (cursor) after = cursor;
              handlers.next(result.data as never);
            },
            error: (e) => {
              unsubscribe = null;
              leave();
              if (stopped) return;
              if (Array.isArray(e) && perSocketRefusal(e as GraphQLFormattedError[])) {
                // This socket is full: another one takes the subscription.
                socket.full = true;
                start();
                return;
              }
              if (Array.isArray(e)) {
                // The server refused the operation: resubscribing would not help.
                handlers.error?.(new RunledgerError(e as GraphQLFormattedError[]));
                entry.stop();
                return;
              }
              timer = setTimeout(start, options.retryDelayMs ?? 500);
            },
            complete: () => {
              unsubscribe = null;
              leave();
              if (!stopped) handlers.complete?.();
              entry.stop();
            },
          },
        );
      };
      live.add(entry);
      start();
      return entry.stop;
    },

    reconnect() {
      // Only an open socket: one still connecting is about to be fresh anyway (and ws throws on it).
      for (const s of sockets) if (s.open) s.client.terminate();
    },

    async dispose() {
      for (const entry of [...live]) entry.stop();
      for (const s of sockets.splice(0)) disposeQuietly(s.client);
    },
  };
}
