// A connection whose key cannot be checked (the database fails under onConnect) is closed with
// a masked reason: graphql-ws would put the thrown error's message, SQL and all, in it.
import { CapturedLog, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

describe('masking of WebSocket close reasons', () => {
  let s: TestServer;
  const log = new CapturedLog();
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    s = await startTestServer({ log });
  });
  afterAll(() => s.stop());

  it('closes a connection whose key cannot be checked with a masked reason; the log line with its id has the detail', async () => {
    await s.db.raw('alter table api_key rename to api_key_gone');
    let closed: { code?: number; reason?: string } | undefined;
    try {
      const client = wsClient(s.url, { connectionParams: bearer(`rl_${'x'.repeat(43)}`) });
      const sub = collect(client, `subscription { lifecycleEvents(filter: {}) { id } }`);
      await sub.waitForEnd();
      closed = sub.errors[0] as { code?: number; reason?: string };
      await client.dispose();
    } finally {
      await s.db.raw('alter table api_key_gone rename to api_key');
    }
    expect(closed?.code).toBe(4500);
    expect(closed?.reason).toMatch(/^Internal server error \(request [0-9a-f-]{36}\)$/);
    const requestId = /request ([0-9a-f-]{36})/.exec(closed!.reason!)![1];
    const line = log.errorOf(requestId!);
    expect(line?.err?.message).toMatch(/api_key/);
  });
});
