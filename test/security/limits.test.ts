import { b64, createProject, must } from '../helpers/api';
import { CapturedLog, TEST_ADMIN_KEY, errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const post = (s: TestServer, body: string, headers: Record<string, string> = {}) =>
  fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}`, ...headers },
    body,
  });

describe('limits on every path', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => s.stop());

  const deep = (n: number) =>
    `{ runs { nodes { ${'runGroup { runs { nodes { '.repeat(Math.ceil(n / 4))}id${' } } }'.repeat(Math.ceil(n / 4))} } } }`;

  it.each([
    ['depth above 10 entity levels', deep(24), 'depth'],
    [
      'more than 15 aliases',
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: workers { id }`).join(' ')} }`,
      'aliases',
    ],
    ['more than 50 directives', `{ workers { id ${'@include(if: true) '.repeat(51)} } }`, 'directives'],
    [
      'a cost above 50,000',
      `{ runGroups(first: 100) { nodes { runs(first: 100) { nodes { steps(first: 10) { id } } } } } }`,
      'cost',
    ],
  ])('refuses %s with QUERY_TOO_COMPLEX over HTTP (400)', async (_n, query, limit) => {
    const res = await post(s, JSON.stringify({ query }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
  });

  it('weighs lists by first: the nested run group page fits, the same page for 100 groups does not', async () => {
    const page = `{ runGroups(first: 1) { nodes { progress { total } runs(first: 100) { totalCount nodes { document { hash uris(first: 2) { uri } } steps(first: 5) { name status worker { id } llmCalls(first: 3) { model totalTokens promptFile { sizeBytes } responseFile { sizeBytes } } } } } } } }`;
    expect((await post(s, JSON.stringify({ query: page }))).status).toBe(200);
    const variables = { n: 100 };
    const viaVariables = await post(
      s,
      JSON.stringify({
        query: `query ($n: Int) { runGroups(first: $n) { nodes { runs(first: 100) { nodes { steps { id } } } } } }`,
        variables,
      }),
    );
    expect(viaVariables.status).toBe(400);
  });

  it("weighs the same document again with each request's variables (first, @include)", async () => {
    const byFirst = `query ($n: Int) { runGroups(first: $n) { nodes { runs(first: 100) { nodes { steps { id } } } } } }`;
    expect((await post(s, JSON.stringify({ query: byFirst, variables: { n: 1 } }))).status).toBe(200);
    expect((await post(s, JSON.stringify({ query: byFirst, variables: { n: 100 } }))).status).toBe(400);
    expect((await post(s, JSON.stringify({ query: byFirst, variables: { n: 2 } }))).status).toBe(200);
    const byInclude = `query ($all: Boolean!) { runGroups(first: 100) { nodes { id runs(first: 100) @include(if: $all) { nodes { steps { id } } } } } }`;
    expect((await post(s, JSON.stringify({ query: byInclude, variables: { all: false } }))).status).toBe(200);
    expect((await post(s, JSON.stringify({ query: byInclude, variables: { all: true } }))).status).toBe(400);
    // No Int or Boolean variable: the cost is known from the first request on.
    const fixed = `query ($id: ID!) { runGroup(id: $id) { runs(first: 100) { nodes { steps(first: 5) { llmCalls(first: 5) { id } } } } } }`;
    for (let i = 0; i < 2; i++)
      expect(
        (await post(s, JSON.stringify({ query: fixed, variables: { id: '00000000-0000-4000-8000-000000000000' } })))
          .status,
      ).toBe(200);
  });

  it('keeps syntax errors and token floods at 400, never 500', async () => {
    const broken = await post(s, JSON.stringify({ query: '{ workers { id ' }));
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const tokens = await post(s, JSON.stringify({ query: `{ ${'workers { id } '.repeat(300)} }` }));
    expect(tokens.status).toBe(400);
    expect(JSON.stringify(await tokens.json())).toMatch(/more that 1000 tokens/);
  });

  it('refuses a body over the limit, invalid JSON and batched requests with a coded error', async () => {
    const big = await post(
      s,
      JSON.stringify({ query: '{ workers { id } }', variables: { pad: 'x'.repeat(70 * 1024) } }),
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0]).toMatchObject({
      message: expect.stringMatching(/larger than 65536 bytes/),
      extensions: { code: 'BAD_REQUEST' },
    });
    const notJson = await post(s, '{"query": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    const batched = await post(s, JSON.stringify([{ query: '{ workers { id } }' }, { query: '{ workers { id } }' }]));
    expect(batched.status).toBe(400);
  });

  it('keeps Apollo CSRF prevention on', async () => {
    const res = await fetch(`${s.url}?query=${encodeURIComponent('{ workers { id } }')}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
    // A GET that says it is not a simple request is answered like a POST.
    const preflighted = await fetch(`${s.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: {
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        'apollo-require-preflight': 'true',
        accept: 'application/json',
      },
    });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses prompts and files over their limits with a clear BAD_USER_INPUT', async () => {
    const project = await createProject(s);
    const res = await s.gql(`mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
      i: {
        projectId: project.id,
        name: 'b',
        source: 'fs',
        documents: [{ uri: '/big', content: b64('x'.repeat(40_000)), mimeType: 'a' }],
      },
    });
    // 40,000 bytes pass the 64 KiB body limit and the 5 MiB file limit
    expect(res).toSucceed();
    const tooBig = await startTestServer();
    try {
      const p = await createProject(tooBig);
      const huge = await tooBig.gql(`mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
        i: {
          projectId: p.id,
          name: 'b',
          source: 'fs',
          documents: [{ uri: '/huge', content: Buffer.alloc(5 * 1024 * 1024 + 1).toString('base64'), mimeType: 'a' }],
        },
      });
      expect(errorCodes(huge)).toEqual(['BAD_USER_INPUT']);
      expect(huge.errors![0]!.message).toMatch(/limit is 5242880 \(MAX_FILE_BYTES\)/);
    } finally {
      await tooBig.stop();
    }
  });

  it('applies the same limits on the WebSocket path, rejecting only the offending operation', async () => {
    const client = wsClient(s.url);
    const live = collect(client, `subscription { lifecycleEvents(filter: {}) { id } }`);
    const tooDeep = collect(
      client,
      `subscription { lifecycleEvents(filter: {}) { run { ${'runGroup { runs(first: 1) { nodes { '.repeat(5)}id${' } } }'.repeat(5)} } } }`,
    );
    await tooDeep.waitForEnd();
    expect(JSON.stringify(tooDeep.errors)).toMatch(/QUERY_TOO_COMPLEX/);
    const syntax = collect(client, `subscription { lifecycleEvents(`);
    await syntax.waitForEnd();
    expect(JSON.stringify(syntax.errors)).toMatch(/GRAPHQL_PARSE_FAILED|Syntax Error/);
    const tokens = collect(client, `query { ${'workers { id } '.repeat(300)} }`);
    await tokens.waitForEnd();
    expect(JSON.stringify(tokens.errors)).toMatch(/more that 1000 tokens/);
    // The socket and its other subscription are still there.
    const query = collect(client, `query { workers { id } }`);
    await query.waitForEnd();
    expect(query.values).toHaveLength(1);
    expect(live.completed).toBe(false);
    expect(live.errors).toEqual([]);
    await client.dispose();
  });

  it('rejects a bad key on the WebSocket with close code 4403', async () => {
    const client = wsClient(s.url, { connectionParams: { authorization: 'Bearer nope' } });
    const sub = collect(client, `subscription { lifecycleEvents(filter: {}) { id } }`);
    await sub.waitForEnd();
    expect((sub.errors[0] as { code: number }).code).toBe(4403);
    await client.dispose();
  });

  it('hides field suggestions when introspection is off', async () => {
    const closed = await startTestServer({ introspection: false });
    try {
      const res = await closed.gql(`{ workerz { id } }`);
      expect(JSON.stringify(res.errors)).not.toMatch(/Did you mean/);
      const intro = await closed.gql(`{ __schema { types { name } } }`);
      expect(errorCodes(intro)[0]).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await closed.stop();
    }
    const open = await s.gql(`{ workerz { id } }`);
    expect(open.errors![0]!.message).toMatch(/Did you mean "workers"/);
  });

  it('masks a database error: the client gets a code and a request id, the log gets the detail', async () => {
    const log = new CapturedLog();
    const logged = await startTestServer({ log });
    try {
      await logged.db.raw('alter table worker rename to worker_gone');
      const res = await logged.gql(`{ workers { id } }`);
      await logged.db.raw('alter table worker_gone rename to worker');
      expect(res.errors).toHaveLength(1);
      const error = res.errors![0]!;
      expect(error.extensions).toEqual({
        code: 'INTERNAL_SERVER_ERROR',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const text = JSON.stringify(res);
      expect(text).not.toMatch(/relation|select |does not exist|stack|\.ts:|lifecycle_event|worker_gone/i);
      const line = log.errorOf(error.extensions!.requestId as string);
      expect(line?.err?.message).toMatch(/relation "worker" does not exist/);
      expect(await must(logged, `{ workers { id } }`)).toEqual({ workers: [] });
    } finally {
      await logged.stop();
    }
  });
});
