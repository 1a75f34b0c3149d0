import net from 'node:net';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

/** A raw TCP connection to the server's port. */
function connect(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `first`, then `drip` every 100 ms until the server closes the connection (or
 * `timeoutMs` passes); resolves with how long the server held it, in ms.
 */
function trickle(socket: net.Socket, first: string, drip: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    socket.on('error', () => undefined); // a reset is one way of closing
    socket.write(first);
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(drip);
    }, 100);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held the connection after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(Date.now() - started);
    });
  });
}

describe('slow clients are cut off by the configured timeouts', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ config: { httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 2000 } });
  });
  afterAll(() => s.stop());

  it('closes a connection trickling its headers within the header timeout', async () => {
    const socket = await connect(s.url);
    const held = await trickle(socket, 'POST /graphql HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 8000);
    expect(held).toBeLessThan(1000 + 1500);
  });

  it('closes a connection that opens and sends nothing within the header timeout', async () => {
    const socket = await connect(s.url);
    const held = await trickle(socket, '', '', 8000);
    expect(held).toBeLessThan(1000 + 1500);
  });

  it('closes a connection trickling its body (with a valid key) within the request timeout', async () => {
    const socket = await connect(s.url);
    const head =
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${TEST_ADMIN_KEY}\r\nContent-Length: 100000\r\n\r\n`;
    const held = await trickle(socket, head, ' ', 10_000);
    expect(held).toBeGreaterThanOrEqual(1000);
    expect(held).toBeLessThan(2000 + 1500);
  });

  it('still answers a request sent at once', async () => {
    expect((await s.gql(`{ __typename }`)).status).toBe(200);
  });
});

describe('the connection cap', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ config: { maxConnections: 10 } });
  });
  afterAll(() => s.stop());

  it('refuses connections past the cap, and serves again once some close', async () => {
    const held = await Promise.all(Array.from({ length: 10 }, () => connect(s.url)));
    // Let the server accept all ten before the next one.
    await new Promise((r) => setTimeout(r, 200));
    const refused = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(5000),
    }).then(
      (r) => r.status,
      (e: Error) => e.name,
    );
    expect(refused).toBe('TypeError'); // fetch failed: the connection was dropped, not queued
    for (const socket of held) socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await s.gql(`{ __typename }`)).status).toBe(200);
  });
});
