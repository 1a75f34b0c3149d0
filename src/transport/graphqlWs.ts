import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** What every socket's context carries (graphql-ws's `ctx.extra`). */
export interface SocketBase {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
  /** Set by onConnect once the socket's connection_init is accepted: larger messages are read from then on. */
  initialised?: boolean;
  /**
   * The socket's client reads too slowly (a subscription's queue or replay is past its limit):
   * closes it with 4008 and ends its operations at once. Set for every socket.
   */
  behind?: () => void;
}

/** Close code of a message before the connection_init is accepted that is larger than `maxInitBytes`. */
const CLOSE_INIT_TOO_LARGE = 4413;
/**
 * Close code of a socket whose client fell behind: more than `maxBufferedBytes` waiting to be
 * sent, or a subscription past SUBSCRIPTION_MAX_QUEUED_EVENTS. Nothing queued is sent after it;
 * the client resumes each subscription from the last cursor it received.
 */
const CLOSE_TOO_SLOW = 4008;
const TOO_SLOW_REASON = 'The client reads too slowly: resume with the last cursor received';

/** Stands in a message's payload for `shared` while graphql-ws stringifies it (a per-process value). */
const SHARED_SENTINEL = `runledger-shared-payload-${randomUUID()}`;
/** How a message carrying a shared payload ends once stringified. */
const SHARED_TAIL = `${JSON.stringify(SHARED_SENTINEL)}}`;
/** The payload whose placeholder was stringified last: its message is the next one sent. */
let handedOver: Buffer | null = null;

/**
 * A payload serialised once and sent as is by every socket that gets it (subscribers of one
 * shape share their result for an event: see src/events/sharedExecution.ts). Return it from
 * onNext: graphql-ws stringifies its placeholder and the socket sends the message as three
 * fragments of one WebSocket message (the message's head, these bytes, `}`), so the bytes are
 * neither copied nor serialised again per subscriber.
 */
export class SharedPayload {
  constructor(readonly bytes: Buffer) {}

  /** Called by graphql-ws's JSON.stringify of the message, right before the socket's send. */
  toJSON(): string {
    handedOver = this.bytes;
    return SHARED_SENTINEL;
  }
}

export interface GraphqlWsOptions {
  /**
   * Largest message a socket may send before its connection_init is accepted (the
   * connection_init itself included). Larger: closed with 4413 before the message is parsed,
   * so an unauthenticated client costs no JSON parse.
   * @default 16384
   */
  maxInitBytes?: number;
  /** Ping interval; a socket that does not answer within it is terminated. @default 12000 */
  keepAliveMs?: number;
  /**
   * WS_MAX_BUFFERED_BYTES: bytes a socket may have waiting to be sent (ws bufferedAmount) when
   * another message is to go; more: closed with 4008 (CLOSE_TOO_SLOW). @default 8 MiB
   */
  maxBufferedBytes?: number;
}

/**
 * graphql-ws's protocol core (makeServer) over a `ws` server: graphql-ws/use/ws with the one
 * difference that a message is measured before it is parsed.
 */
export function serveGraphqlWs<E extends SocketBase>(
  options: ServerOptions<Record<string, unknown> | undefined, E>,
  wsServer: WebSocketServer,
  extraOf: (socket: WebSocket, request: http.IncomingMessage) => E,
  { maxInitBytes = 16 * 1024, keepAliveMs = 12_000, maxBufferedBytes = 8 * 1024 * 1024 }: GraphqlWsOptions = {},
): { dispose(): Promise<void> } {
  /** Each socket's subscribe operations by id (see `operations` below). */
  const operationsOf = new WeakMap<E, Map<string, Operation>>();
  /** Ended by the server (its complete or error is being sent): the client may reuse the id. */
  const endedByServer = (extra: E, id: string) => {
    const op = operationsOf.get(extra)?.get(id);
    if (op?.started) op.completed = true;
  };
  const server = makeServer({
    ...options,
    onError: (ctx, id, payload, errors) => {
      endedByServer(ctx.extra, id);
      return options.onError?.(ctx, id, payload, errors);
    },
    onComplete: (ctx, id, payload) => {
      endedByServer(ctx.extra, id);
      return options.onComplete?.(ctx, id, payload);
    },
  });
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const extra = extraOf(socket, request);
    socket.once('error', () => socket.close(CloseCode.InternalServerError, 'Internal server error'));
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    // The operations end once: when the socket closed, or at once when it is closed as too slow
    // (its close handshake waits behind what is already buffered, up to ws's 30 s).
    let ended: Promise<void> | null = null;
    const end = (code: number, reason: string) => (ended ??= closed(code, reason));
    extra.behind = () => {
      if (socket.readyState !== socket.OPEN) return;
      socket.close(CLOSE_TOO_SLOW, TOO_SLOW_REASON);
      void end(CLOSE_TOO_SLOW, TOO_SLOW_REASON);
    };
    // One id's operations never overlap in graphql-ws: a subscribe reusing an id the client has
    // just completed (both in one segment) waits until the first operation's handler returned.
    // graphql-ws ends an operation after its onComplete, with a `finally` that deletes its entry
    // by id: run alongside, the second operation would lose its entry, so that neither its
    // complete nor the socket's close would end it.
    const operations = new Map<string, Operation>();
    operationsOf.set(extra, operations);
    let handle: (data: string) => Promise<void> = () => Promise.resolve();
    const failed = (e: unknown) => socket.close(CloseCode.InternalServerError, closeReason(e));
    const start = (id: string, message: unknown, after: Promise<void> | undefined) => {
      const op: Operation = { started: false, completed: false, done: Promise.resolve() };
      const go = async () => {
        if (op.completed || socket.readyState !== socket.OPEN) return;
        op.started = true;
        // graphql-ws parses a message it is given as a string and takes one already parsed as
        // is (parseMessage); the socket's type says string only.
        await handle(message as string);
      };
      op.done = (after ? after.then(go) : go()).catch(failed).finally(() => {
        if (operations.get(id) === op) operations.delete(id);
      });
      operations.set(id, op);
    };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            const shared = handedOver;
            handedOver = null;
            if (socket.readyState !== socket.OPEN) return resolve();
            if (socket.bufferedAmount > maxBufferedBytes) {
              extra.behind!();
              return resolve();
            }
            const done = (err?: Error) => (err ? reject(err) : resolve());
            if (!shared || !data.endsWith(SHARED_TAIL)) return socket.send(data, done);
            // One message in three fragments, queued back to back (nothing can come in between).
            socket.send(data.slice(0, -SHARED_TAIL.length), { binary: false, fin: false });
            socket.send(shared, { binary: false, fin: false });
            socket.send('}', { binary: false, fin: true }, done);
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) => {
          handle = cb;
          socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
            // Closing (too slow, revoked...): no new operations.
            if (socket.readyState !== socket.OPEN) return;
            const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
            if (!extra.initialised && size > maxInitBytes) {
              socket.close(CLOSE_INIT_TOO_LARGE, `connection_init larger than ${maxInitBytes} bytes`);
              return;
            }
            const text = Array.isArray(data)
              ? Buffer.concat(data).toString('utf8')
              : Buffer.isBuffer(data)
                ? data.toString('utf8')
                : Buffer.from(data).toString('utf8');
            let message: unknown;
            try {
              message = JSON.parse(text);
            } catch {
              message = text; // graphql-ws closes with 4400
            }
            const { type, id } = typeAndId(message);
            const previous = id === undefined ? undefined : operations.get(id);
            if (type === 'subscribe' && id !== undefined) {
              // One subscribe at most waits for its id's previous operation to end: a further one
              // (the client completed the waiting one and subscribed again) finds the id still
              // taken at the server, as any subscribe does while its id runs. Chained, each
              // would wait behind the one before, without bound.
              if (previous && (!previous.completed || !previous.started))
                return socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
              return start(id, message, previous?.done);
            }
            if (type === 'complete' && previous) {
              if (previous.completed) return;
              previous.completed = true;
              if (!previous.started) return; // waiting behind its id's previous operation: never starts
            }
            // The hooks throw only masked errors (ws.ts): their message, a request id, is the reason.
            cb(message as string).catch(failed);
          });
        },
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pingInterval);
      void end(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A thrown error's message as a close reason when it fits (123 bytes), else a generic one. */
function closeReason(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  return message && Buffer.byteLength(message) <= 123 ? message : 'Internal server error';
}

/** A subscribe operation of one socket, from its message until graphql-ws's handler returned. */
interface Operation {
  /** Handed to graphql-ws (not waiting behind its id's previous operation any more). */
  started: boolean;
  /** The client sent its complete. */
  completed: boolean;
  /** Settles when graphql-ws has torn it down. */
  done: Promise<void>;
}

/** A parsed message's type and id, when they are strings. */
function typeAndId(message: unknown): { type?: string; id?: string } {
  if (typeof message !== 'object' || message === null) return {};
  const { type, id } = message as { type?: unknown; id?: unknown };
  return { type: typeof type === 'string' ? type : undefined, id: typeof id === 'string' ? id : undefined };
}
