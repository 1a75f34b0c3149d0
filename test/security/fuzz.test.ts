// Hostile and malformed input, 10,000 times, over HTTP and WebSocket: no crash, no 5xx, every
// error coded, and the server still answers afterwards.
import fc from 'fast-check';
import { makeProject, makeRunGroup } from '../helpers/factories';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const FIELDS = [
  'workers',
  'projects',
  'runs',
  'runGroups',
  'batches',
  'lifecycleEvents',
  'llmCalls',
  'project',
  'run',
  'nodes',
  'id',
  'edges',
  'node',
  '__typename',
  '__schema',
];

const documents = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  // deep nesting
  fc.integer({ min: 1, max: 400 }).map((n) => `{ ${'runs { nodes { runGroup { '.repeat(n)} id ${'} } } '.repeat(n)} }`),
  // alias bombs
  fc
    .integer({ min: 1, max: 300 })
    .map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: workers { id }`).join(' ')} }`),
  // fragment cycles and self-spreads
  fc.constantFrom(
    'fragment A on Query { ...B } fragment B on Query { ...A } { ...A }',
    'fragment A on Query { workers { id } ...A } { ...A }',
    'query { ...on Query { ...on Query { workers { id } } } }',
  ),
  // token soup of real names and punctuation
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...FIELDS),
        fc.constantFrom(
          '{',
          '}',
          '(',
          ')',
          ':',
          '$',
          '@',
          '...',
          '!',
          '[',
          ']',
          'first:',
          '1000',
          '"x"',
          'query',
          'mutation',
          'subscription',
        ),
      ),
      { maxLength: 120 },
    )
    .map((t) => t.join(' ')),
  // huge strings in a valid position
  fc
    .integer({ min: 1_000, max: 200_000 })
    .map(
      (n) => `{ documentByHash(projectId: "00000000-0000-4000-8000-000000000000", hash: "${'a'.repeat(n)}") { id } }`,
    ),
  // mutations with broken inputs
  fc.constantFrom(
    'mutation { createBatch(input: { projectId: "x", name: 1, source: null }) { id } }',
    'mutation { startRunGroup(input: { workflowDefinitionId: "w", steps: [] }) { id } }',
    'mutation { updateStepStatus(input: { stepId: "00000000-0000-4000-8000-000000000000", status: DONE }) { id } }',
  ),
);

const variables = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string())),
    first: fc.oneof(fc.integer(), fc.string(), fc.double()),
  }),
  fc.string({ maxLength: 50 }),
);

const operations = fc.record({
  query: documents,
  variables,
  operationName: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});

// Thousands of requests each: on 2 shared cores (CI) they need more than jest's 60 s default.
describe('fuzzing the API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it('answers 8,000 hostile HTTP requests with coded errors and no 5xx', async () => {
    const samples = fc.sample(operations, { numRuns: 8_000, seed: 20261123 });
    const problems: string[] = [];
    const send = async (body: unknown, raw?: string) => {
      const res = await fetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: raw ?? JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 500)
        problems.push(`${res.status} for ${JSON.stringify(body).slice(0, 200)}: ${text.slice(0, 200)}`);
      let json: { errors?: { extensions?: { code?: string } }[] };
      try {
        json = JSON.parse(text);
      } catch {
        problems.push(`not JSON (${res.status}): ${text.slice(0, 100)}`);
        return;
      }
      for (const e of json.errors ?? []) {
        if (!e.extensions?.code) problems.push(`uncoded error: ${JSON.stringify(e).slice(0, 200)}`);
        if (e.extensions?.code === 'INTERNAL_SERVER_ERROR')
          problems.push(`internal error for ${JSON.stringify(body).slice(0, 200)}`);
      }
    };
    for (let i = 0; i < samples.length; i += 40) {
      await Promise.all(
        samples.slice(i, i + 40).map((op, j) => (j % 10 === 0 ? send(op, JSON.stringify(op).slice(0, -3)) : send(op))),
      );
    }
    expect(problems.slice(0, 20)).toEqual([]);
    const ok = await s.gql(`{ workers { id } projects { totalCount } }`);
    expect(ok).toSucceed();
  }, 180_000);

  it('answers 200 requests aimed at the limits (long names, large and deep literals, wide aliases over lists) with coded refusals and no 5xx', async () => {
    const project = await makeProject(s.db);
    const { steps } = await makeRunGroup(s.db, { projectId: project.id, runs: 1, stepsPerRun: 1, llmCallsPerStep: 3 });
    const stepId = steps[0]!.id;
    // JSON text nested `depth` levels (JSON.stringify itself overflows the stack on such values).
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const CREATE = `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`;
    const UPDATE = `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`;
    const aimed = fc.oneof(
      // names around and far past MAX_NAME_BYTES
      fc.integer({ min: 1_000, max: 3_000_000 }).map((n) => ({
        query: CREATE,
        variables: { i: { projectId: project.id, name: 'n'.repeat(n), source: 'fs' } },
      })),
      // JSON nested past MAX_JSON_DEPTH, in a variable and as a literal
      fc.integer({ min: 10, max: 6_000 }).map((n) => ({
        query: CREATE,
        body: `{"query":${JSON.stringify(CREATE)},"variables":{"i":{"projectId":"${project.id}","name":"deep","source":"fs","params":${nested(n)}}}}`,
      })),
      fc.integer({ min: 10, max: 2_000 }).map((n) => ({
        query: `mutation { createBatch(input: { projectId: "${project.id}", name: "lit", source: "fs", params: ${'{ a: '.repeat(n)}1${' }'.repeat(n)} }) { id } }`,
      })),
      // wide JSON and long messages on a step report
      fc.integer({ min: 100, max: 200_000 }).map((n) => ({
        query: UPDATE,
        variables: {
          i: { stepId, status: 'RUNNING', meta: Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, k])) },
        },
      })),
      fc.integer({ min: 1_000, max: 2_000_000 }).map((n) => ({
        query: UPDATE,
        variables: { i: { stepId, status: 'CANCELLED', message: 'm'.repeat(n) } },
      })),
      // aliases over lists that are not connections, with their byte-heavy fields
      fc.integer({ min: 1, max: 40 }).map((n) => ({
        query: `{ ${Array.from(
          { length: n },
          (_, k) =>
            `a${k}: step(id: "${stepId}") { llmCalls { promptFile { content } responseFile { content } } files { content } }`,
        ).join(' ')} }`,
      })),
    );
    const seed = 20261202;
    const samples = fc.sample(aimed, { numRuns: 200, seed });
    const problems: string[] = [];
    const codes = new Map<string, number>();
    const send = async (op: { query: string; variables?: unknown; body?: string }) => {
      const body = op.body ?? JSON.stringify({ query: op.query, variables: op.variables });
      const started = Date.now();
      let res: Response;
      let text: string;
      try {
        res = await fetch(s.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
          body,
        });
        text = await res.text();
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        problems.push(
          `no answer (${cause?.code ?? cause?.message ?? String(e)}) after ${Date.now() - started} ms for ${op.query.slice(0, 80)} (${body.length} bytes sent)`,
        );
        return;
      }
      const what = `${op.query.slice(0, 80)} (${text.length} bytes back)`;
      if (res.status >= 500) problems.push(`${res.status} for ${what}: ${text.slice(0, 200)}`);
      let json: { errors?: { extensions?: { code?: string } }[] };
      try {
        json = JSON.parse(text);
      } catch {
        problems.push(`not JSON (${res.status}) for ${what}`);
        return;
      }
      if (!json.errors) codes.set('ok', (codes.get('ok') ?? 0) + 1);
      for (const e of json.errors ?? []) {
        const code = e.extensions?.code ?? 'none';
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (!e.extensions?.code) problems.push(`uncoded error for ${what}: ${JSON.stringify(e).slice(0, 200)}`);
        if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') problems.push(`internal error for ${what}`);
      }
    };
    for (let i = 0; i < samples.length; i += 10) await Promise.all(samples.slice(i, i + 10).map(send));
    expect({ seed, problems: problems.slice(0, 20) }).toEqual({ seed, problems: [] });
    console.log(`requests aimed at the limits, by outcome: ${JSON.stringify(Object.fromEntries(codes))}`);
    // The inputs reach the limits, not only the parser: size and depth refusals, and cost refusals.
    expect([...codes.keys()]).toEqual(expect.arrayContaining(['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX']));
    // Nothing oversized was stored.
    const longest = await s
      .db('batch')
      .max({ n: s.db.raw('octet_length(name)') })
      .first();
    expect(Number((longest as { n: number | null }).n ?? 0)).toBeLessThanOrEqual(2048);
    expect(await s.gql(`{ workers { id } }`)).toSucceed();
  }, 180_000);

  it('answers 2,000 hostile WebSocket operations with coded errors, on one socket that stays open', async () => {
    const samples = fc.sample(operations, { numRuns: 2_000, seed: 1123 });
    const client = wsClient(s.url);
    const problems: string[] = [];
    for (let i = 0; i < samples.length; i += 50) {
      const batch = samples.slice(i, i + 50).map((op) => {
        const vars =
          op.variables && typeof op.variables === 'object' && !Array.isArray(op.variables)
            ? (op.variables as Record<string, unknown>)
            : {};
        return { op, sub: collect(client, op.query, vars) };
      });
      await Promise.all(
        batch.map(async ({ op, sub }) => {
          await sub.waitForEnd(10_000).catch(() => sub.unsubscribe()); // a valid subscription stays open
          // graphql-ws hands an operation's errors over as an array; a closed socket as an event.
          for (const e of (sub.errors as unknown[]).flat() as { code?: number; extensions?: { code?: string } }[]) {
            if (typeof e.code === 'number') problems.push(`socket closed ${e.code} by ${op.query.slice(0, 100)}`);
            else if (!e.extensions?.code) problems.push(`uncoded: ${JSON.stringify(e).slice(0, 200)}`);
            else if (e.extensions.code === 'INTERNAL_SERVER_ERROR')
              problems.push(
                `internal error for ${op.query.slice(0, 200)} ${String(JSON.stringify(op.variables)).slice(0, 100)}`,
              );
          }
        }),
      );
    }
    expect(problems.slice(0, 20)).toEqual([]);
    const after = collect(client, `query { workers { id } }`);
    await after.waitForEnd();
    expect(after.values).toHaveLength(1);
    await client.dispose();
  }, 180_000);
});
