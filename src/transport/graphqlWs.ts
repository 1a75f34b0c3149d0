import type http from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** What every socket's context carries (graphql-ws's `ctx.extra`). */
export interface SocketBase {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
  /** Set by onConnect once the socket's connection_init is accepted: larger messages are read from then on. */
  initialised?: boolean;
}

/** Close code of a message before the connection_init is accepted that is larger than `maxInitBytes`. */
const CLOSE_INIT_TOO_LARGE = 4413;

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
}

/**
 * graphql-ws's protocol core (makeServer) over a `ws` server: graphql-ws/use/ws with the one
 * difference that a message is measured before it is parsed.
 */
export function serveGraphqlWs<E extends SocketBase>(
  options: ServerOptions<Record<string, unknown> | undefined, E>,
  wsServer: WebSocketServer,
  extraOf: (socket: WebSocket, request: http.IncomingMessage) => E,
  { maxInitBytes = 16 * 1024, keepAliveMs = 12_000 }: GraphqlWsOptions = {},
): { dispose(): Promise<void> } {
  const server = makeServer(options);
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
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
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
            // The hooks throw only masked errors (ws.ts): their message, a request id, is the reason.
            cb(text).catch((e: unknown) => socket.close(CloseCode.InternalServerError, closeReason(e)));
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pingInterval);
      void closed(code, String(reason));
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
