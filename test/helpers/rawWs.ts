// The graphql-transport-ws protocol by hand, for tests that need what graphql-ws's client hides:
// each message as it arrives, the close code, and the TCP socket under the WebSocket (to stop
// reading from it, as a stalled subscriber does).
import net from 'node:net';
import WebSocket from 'ws';
import { TEST_ADMIN_KEY } from './server';

export interface ProtocolMessage {
  type: string;
  id?: string;
  // Payloads differ by message type; each test narrows what it reads.
  payload?: any;
}

export interface RawSocket {
  ws: WebSocket;
  /** The TCP connection under the WebSocket: `tcp.pause()` stops reading from the server. */
  tcp: net.Socket;
  messages: ProtocolMessage[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message that matches (already received or to come). */
  message(match: (m: ProtocolMessage) => boolean, timeoutMs?: number): Promise<ProtocolMessage>;
  subscribe(id: string, query: string, variables?: Record<string, unknown> | string): void;
  complete(id: string): void;
}

/** Opens a socket and waits for its connection_ack. */
export async function rawSocket(httpUrl: string, authorization = `Bearer ${TEST_ADMIN_KEY}`): Promise<RawSocket> {
  let tcp: net.Socket | undefined;
  const ws = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', {
    // net.createConnection is overloaded; ws calls it with one options object.
    createConnection: ((options: net.NetConnectOpts) => (tcp = net.connect(options))) as typeof net.createConnection,
  });
  const messages: ProtocolMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as ProtocolMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const w of [...waiters]) w();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const socket: RawSocket = {
    ws,
    tcp: tcp!,
    messages,
    closed,
    message(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 2000)}`));
        }, timeoutMs);
        const check = () => {
          const found = messages.find(match);
          if (found) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`socket closed without such a message; got ${JSON.stringify(messages).slice(0, 2000)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    subscribe(id, query, variables = {}) {
      // A string: variables sent as JSON text as is (deeper than JSON.stringify would go).
      const vars = typeof variables === 'string' ? variables : JSON.stringify(variables);
      ws.send(
        `{"id":${JSON.stringify(id)},"type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":${vars}}}`,
      );
    },
    complete(id) {
      ws.send(JSON.stringify({ id, type: 'complete' }));
    },
  };
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
  await socket.message((m) => m.type === 'connection_ack');
  return socket;
}
