// Hostile and malformed input, 10,000 times, over HTTP and WebSocket: no crash, no 5xx, every
// error coded, and the server still answers afterwards.
import fc from 'fast-check';
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
