// What a client can learn without being allowed to: raw database errors, other projects'
// cursors, schema names while introspection is off, the explorer's key, the server's stack.
import { positionCursor } from '../../src/events/cursor';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { CapturedLog, TEST_ADMIN_KEY, errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

describe('masking', () => {
  let s: TestServer;
  const log = new CapturedLog();

  beforeAll(async () => {
    s = await startTestServer({ log });
  });
  afterAll(() => s.stop());

  async function firstEventCursor(groupId: string): Promise<string> {
    const data = await must(s, `query ($id: ID!) { runGroup(id: $id) { events(first: 1) { nodes { cursor } } } }`, {
      id: groupId,
    });
    return data.runGroup.events.nodes[0].cursor as string;
  }

  it('gives a stream that fails while running only a coded, masked error; the log line with its id has the detail', async () => {
    const p = await createProject(s);
    const group = await startRunGroup(s, (await createBatch(s, p.id, 1)).id, [{ name: 'p', type: 'PARSE' }]);
    const client = wsClient(s.url);
    const sub = collect(client, `subscription ($g: ID!) { runGroupProgress(runGroupId: $g) { total } }`, {
      g: group.id,
    });
    await sub.waitFor(1);
    // The next event's progress cannot be read: the stream fails after it started.
    await s.db.raw('alter table run rename to run_gone');
    try {
      await s
        .db('lifecycle_event')
        .insert({ projectId: p.id, runGroupId: group.id, type: 'GROUP_START', status: 'RUNNING' });
      s.server.bus.wake();
      await sub.waitForEnd();
    } finally {
      await s.db.raw('alter table run_gone rename to run');
    }
    await client.dispose();
    expect(sub.errors).toHaveLength(1);
    const error = [sub.errors[0]].flat()[0] as { message: string; extensions?: Record<string, unknown> };
    expect(error.extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(JSON.stringify(sub.errors)).not.toMatch(/select|run_gone|relation|does not exist/i);
    const line = log.errorOf(error.extensions!.requestId as string);
    expect(line?.err?.message).toMatch(/relation "run" does not exist/);
  });

  it("treats a cursor of another project's event like any position of the log: it names no row, so it tells nothing", async () => {
    const pa = await createProject(s);
    const pb = await createProject(s);
    const readerA = (await must(s, KEY, { i: { projectId: pa.id, role: 'READER' } })).createApiKey.secret as string;
    const groupB = await startRunGroup(s, (await createBatch(s, pb.id, 1)).id, [{ name: 'p', type: 'PARSE' }]);
    const ofB = await firstEventCursor(groupB.id);
    const client = wsClient(s.url, { connectionParams: bearer(readerA) });
    // A position is valid whoever's event it was; the stream only ever holds A's events.
    const subscribed = listening(s);
    const resumed = collect(client, `subscription ($a: String) { lifecycleEvents(filter: {}, after: $a) { id } }`, {
      a: ofB,
    });
    await subscribed(1);
    // A position never given out is refused, whatever project asks.
    const madeUp = collect(client, `subscription ($a: String) { lifecycleEvents(filter: {}, after: $a) { id } }`, {
      a: positionCursor(2_000_000_000),
    });
    await madeUp.waitForEnd();
    await client.dispose();
    expect(resumed.errors).toEqual([]);
    expect(resumed.values).toEqual([]);
    expect(JSON.stringify(madeUp.errors)).toMatch(/BAD_USER_INPUT/);
  });

  it('suggests no name and returns no schema with introspection off, over HTTP and WebSocket', async () => {
    const closed = await startTestServer({ introspection: false });
    try {
      const client = wsClient(closed.url);
      const viaWs = async (query: string, variables: Record<string, unknown> = {}) => {
        const sub = collect(client, query, variables);
        await sub.waitForEnd();
        return { values: sub.values, text: JSON.stringify(sub.errors) };
      };
      const schema = await viaWs(`{ __schema { types { name } } }`);
      expect(schema.values).toEqual([]);
      expect(schema.text).toMatch(/GRAPHQL_VALIDATION_FAILED/);
      const type = await viaWs(`{ __type(name: "Step") { fields { name } } }`);
      expect(type.values).toEqual([]);
      const misspelled = await viaWs(`{ workerz { id } }`);
      expect(misspelled.text).toMatch(/workerz/);
      expect(misspelled.text).not.toMatch(/Did you mean/);
      await client.dispose();

      const http = [
        await closed.gql(`{ __schema { types { name } } }`),
        await closed.gql(`{ workerz { id } }`),
        await closed.gql(`query ($g: LlmUsageGroupBy!) { llmUsage(groupBy: $g) { __typename } }`, { g: 'MODELL' }),
        await closed.gql(`query ($f: LlmCallFilter) { llmUsage(filter: $f, groupBy: MODEL) { __typename } }`, {
          f: { modle: 'x' },
        }),
        await closed.gql(`{ llmUsage(groupBy: MODELL) { __typename } }`),
      ];
      expect(http[0]!.data).toBeUndefined();
      expect(new Set(errorCodes(http[0]!))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      for (const res of http) {
        expect(res.errors?.length).toBeGreaterThan(0);
        expect(JSON.stringify(res.errors)).not.toMatch(/Did you mean/);
      }
    } finally {
      await closed.stop();
    }
    // With introspection on, suggestions help.
    const open = await s.gql(`query ($g: LlmUsageGroupBy!) { llmUsage(groupBy: $g) { __typename } }`, { g: 'MODELL' });
    expect(JSON.stringify(open.errors)).toMatch(/Did you mean/);
  });

  it('answers bad explorer asset paths with 4xx and logs no error', async () => {
    const before = log.length;
    const base = s.url.replace(/\/graphql$/, '');
    const missing = await fetch(`${base}/graphql/explorer/nope.js`);
    const malformed = await fetch(`${base}/graphql/explorer/%E0%A4%A`);
    expect(missing.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await missing.json())).not.toMatch(/\/work|\.ts|stack|Error:/);
    const errorsLogged = log.lines(before).filter((l) => l.level >= 50);
    expect(errorsLogged).toEqual([]);
  });

  it('pre-fills the explorer with a key only when the server listens on loopback', async () => {
    const secret = 'rl_dev_pretend-this-is-the-dev-admin-key';
    const explorer = { defaultHeaders: { authorization: `Bearer ${secret}` } };
    const page = async (t: TestServer) =>
      (await fetch(t.url.replace('0.0.0.0', '127.0.0.1'), { headers: { accept: 'text/html' } })).text();
    const exposed = await startTestServer({ host: '0.0.0.0', explorer });
    try {
      const html = await page(exposed);
      expect(html).toMatch(/explorer-config/);
      expect(html).not.toContain(secret);
    } finally {
      await exposed.stop();
    }
    const local = await startTestServer({ explorer });
    try {
      expect(await page(local)).toContain(secret);
    } finally {
      await local.stop();
    }
    expect(TEST_ADMIN_KEY).not.toBe(secret);
  });
});
