import http from 'node:http';
import WebSocket from 'ws';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const EIGHT_MIB = 8 * 1024 * 1024;

interface Answer {
  status: number;
  body: string;
  /** Body bytes the client had written when the answer's headers arrived. */
  written: number;
}

/**
 * Starts a POST announcing an 8 MiB body, writes only its first 64 KiB and waits for the answer:
 * the server can only answer before the rest arrives if it decided from the headers.
 */
function postHeadersFirst(url: string, headers: Record<string, string>, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(EIGHT_MIB), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms with ${written} of ${EIGHT_MIB} body bytes sent`));
    }, timeoutMs);
    req.on('response', (res) => {
      const at = written;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, written: at });
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    req.write(chunk, () => (written += chunk.length));
  });
}

/** A whole 8 MiB body sent as fast as the server takes it; resolves with the status. */
function postWholeBody(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(EIGHT_MIB), ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may close the connection before the body is sent: that is the point.
    req.on('error', () => resolve(-1));
    req.end(Buffer.alloc(EIGHT_MIB, '{'));
  });
}

describe('refusals come from the headers, before the body', () => {
  it('answers a POST without a key 401 UNAUTHENTICATED before its body arrives', async () => {
    const answer = await postHeadersFirst(s.url, {});
    expect(answer.status).toBe(401);
    expect(answer.written).toBeLessThan(EIGHT_MIB);
    const body = JSON.parse(answer.body) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('looks an unknown key up before reading the body', async () => {
    const answer = await postHeadersFirst(s.url, { authorization: 'Bearer not-a-key-0123456789abcdef0123456789' });
    expect(answer.status).toBe(401);
    expect(answer.written).toBeLessThan(EIGHT_MIB);
    expect(answer.body).toContain('UNAUTHENTICATED');
  });

  it('still reads the body of a request with a valid key', async () => {
    const res = await s.gql(`{ __typename }`);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ __typename: 'Query' });
    // And a large authenticated body is read whole, then judged (not JSON here: 400).
    const status = await postWholeBody(s.url, { authorization: `Bearer ${TEST_ADMIN_KEY}` });
    expect(status).toBe(400);
  });

  it('keeps serving authenticated requests while 8 MiB unauthenticated bodies arrive', async () => {
    const flood = Array.from({ length: 6 }, () => postWholeBody(s.url, {}));
    const answers = await Promise.all(Array.from({ length: 5 }, () => s.gql(`{ __typename }`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const status of await Promise.all(flood)) expect([401, -1]).toContain(status);
  });
});

describe('a WebSocket before connection_init is acknowledged', () => {
  function open(): Promise<WebSocket> {
    const ws = new WebSocket(s.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }
  function closed(ws: WebSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
      ws.once('close', (code, reason) => {
        clearTimeout(timer);
        resolve({ code, reason: String(reason) });
      });
    });
  }

  it('closes with 4413 on a first message over the connection_init limit, without parsing it', async () => {
    const ws = await open();
    const done = closed(ws);
    // Valid JSON of a valid connection_init, just too large: only the size can have refused it.
    const padding = 'x'.repeat(2 * 1024 * 1024);
    ws.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_KEY}`, padding } }),
    );
    const { code, reason } = await done.finally(() => ws.terminate());
    expect(code).toBe(4413);
    expect(reason).toMatch(/connection_init/);
  });

  it('acknowledges a connection_init under the limit, and then takes large messages', async () => {
    const ws = await open();
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    ws.on('message', (m: Buffer) => messages.push(JSON.parse(m.toString()) as (typeof messages)[number]));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }));
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
    expect(messages[0]!.type).toBe('connection_ack');
    // 1 MiB of query text: parsed after the acknowledgement (and refused by the token limit).
    ws.send(
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename ${' '.repeat(1024 * 1024)} }` } }),
    );
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
    expect(messages[1]).toMatchObject({ id: '1', type: 'next' });
    ws.close();
  });
});
