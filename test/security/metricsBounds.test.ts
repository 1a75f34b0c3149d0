import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const post = (s: TestServer, body: unknown) =>
  fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify(body),
  });

const metricsUrl = (s: TestServer) => s.url.replace(/\/graphql$/, '/metrics');

describe('/metrics labels come from a bounded set', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ config: { metricsMaxOperations: 50 } });
  });
  afterAll(() => s.stop());

  it('stays under a fixed size after 500 distinct 10 KB operation names, valid or not', async () => {
    const baseline = (await (await fetch(metricsUrl(s))).text()).length;
    for (let i = 0; i < 250; i++) {
      const name = `Op${i}_${'x'.repeat(10_000)}`;
      // A name the document does not have: never resolved, never a label.
      await post(s, { query: '{ __typename }', operationName: name });
      // A valid document with a long name, and one with a short name (50 become labels).
      await post(s, { query: `query ${name} { __typename }` });
      await post(s, { query: `query Short${i} { __typename }` });
    }
    const text = await (await fetch(metricsUrl(s))).text();
    expect(text).not.toMatch(/xxxxxxxxxx/);
    expect(text).toMatch(/operation="\(other\)"/);
    expect(text).toMatch(/operation="Short0"/);
    expect(text).not.toMatch(/operation="Short60"/);
    // 50 names x (counter + 13 histogram series) plus the overflow and fixed series.
    expect(text.length).toBeLessThan(baseline + 400_000);
  });

  it('asks for METRICS_TOKEN when it is set', async () => {
    const guarded = await startTestServer({ config: { metricsToken: 'metrics-token-0123456789' } });
    try {
      expect((await fetch(metricsUrl(guarded))).status).toBe(401);
      const ok = await fetch(metricsUrl(guarded), { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/runledger_graphql_requests_total/);
    } finally {
      await guarded.stop();
    }
  });
});
