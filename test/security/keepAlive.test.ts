// One keep-alive connection can carry many requests, and (behind a proxy) several clients' keys:
// what a connection remembers between requests must never decide who the next one is.
import http from 'node:http';
import type { Socket } from 'node:net';
import { createProject, must } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`;
const REVOKE = `mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`;

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  socket: Socket;
}

/** POSTs `query` with `secret` through `agent` (one socket, kept alive). */
function post(url: string, agent: http.Agent, secret: string, query: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'], socket: req.socket! }),
      );
    });
    req.end(JSON.stringify({ query }));
  });
}

describe('keep-alive connections', () => {
  let s: TestServer;
  let agent: http.Agent;
  beforeAll(async () => {
    s = await startTestServer({ config: { httpHeadersTimeoutMs: 1000, httpKeepAliveTimeoutMs: 5000 } });
  });
  beforeEach(() => {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => agent.destroy());
  afterAll(() => s.stop());

  it('checks every request’s key, whatever the connection sent before', async () => {
    const p = await createProject(s);
    const reader = (await must(s, KEY, { i: { projectId: p.id, role: 'READER' } })).createApiKey as {
      secret: string;
      apiKey: { id: string };
    };
    const admin = await post(s.url, agent, TEST_ADMIN_KEY, '{ __typename }');
    expect(admin.status).toBe(200);
    // The same socket, another key: a reader, not the admin the connection last authenticated.
    const asReader = await post(
      s.url,
      agent,
      reader.secret,
      'mutation { createProject(input: { slug: "x", name: "x" }) { id } }',
    );
    expect(asReader.socket).toBe(admin.socket);
    expect(asReader.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A wrong key after a right one is refused, and a revoked one as soon as it is revoked.
    const wrong = await post(s.url, agent, `${TEST_ADMIN_KEY.slice(0, -1)}x`, '{ __typename }');
    expect(wrong.status).toBe(401);
    expect((await post(s.url, agent, reader.secret, '{ __typename }')).status).toBe(200);
    await must(s, REVOKE, { id: reader.apiKey.id });
    expect((await post(s.url, agent, reader.secret, '{ __typename }')).status).toBe(401);
  });

  it('keeps a connection that sent a request open past the header timeout', async () => {
    const first = await post(s.url, agent, TEST_ADMIN_KEY, '{ __typename }');
    // Idle for longer than the 1 s a silent connection gets, well within keep-alive.
    await new Promise((r) => setTimeout(r, 1600));
    const second = await post(s.url, agent, TEST_ADMIN_KEY, '{ __typename }');
    expect(second.status).toBe(200);
    expect(second.socket).toBe(first.socket);
  });
});
