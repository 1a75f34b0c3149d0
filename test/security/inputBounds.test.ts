import { createProject, tableCounts } from '../helpers/api';
import { TEST_ADMIN_KEY, errorCodes, startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';

const CREATE = `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id name } }`;

/** { a: { a: ... { a: 1 } } }, `levels` objects deep. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('stored text and JSON are bounded well below the body limit', () => {
  let s: TestServer;
  let projectId: string;
  beforeAll(async () => {
    s = await startTestServer();
    projectId = (await createProject(s)).id;
  });
  afterAll(() => s.stop());

  it('refuses a 1 MB batch name with BAD_USER_INPUT and stores nothing', async () => {
    const before = await tableCounts(s);
    const res = await s.gql(CREATE, { i: { projectId, name: 'n'.repeat(1024 * 1024), source: 'fs' } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toMatch(/input\.name is 1048576 bytes; the limit is 2048 \(MAX_NAME_BYTES\)/);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('refuses JSON nested 5,000 levels deep with BAD_USER_INPUT, in variables and as large as allowed', async () => {
    // Written by hand: JSON.stringify of 5,000 levels overflows the test's own stack.
    const params = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: `{"query":${JSON.stringify(CREATE)},"variables":{"i":{"projectId":"${projectId}","name":"deep","source":"fs","params":${params}}}}`,
    });
    expect(res.status).toBe(200);
    const deep = (await res.json()) as GraphQLResponse;
    expect(errorCodes(deep)).toEqual(['BAD_USER_INPUT']);
    expect(deep.errors![0]!.message).toMatch(/MAX_JSON_DEPTH/);
    const big = await s.gql(CREATE, { i: { projectId, name: 'big', source: 'fs', params: { x: 'y'.repeat(70_000) } } });
    expect(errorCodes(big)).toEqual(['BAD_USER_INPUT']);
    expect(big.errors![0]!.message).toMatch(/MAX_JSON_BYTES/);
    // Nested document inputs too.
    const meta = await s.gql(CREATE, {
      i: {
        projectId,
        name: 'm',
        source: 'fs',
        documents: [{ uri: '/a', hash: `sha256-${'a'.repeat(64)}`, mimeType: 't', meta: nested(40) }],
      },
    });
    expect(errorCodes(meta)).toEqual(['BAD_USER_INPUT']);
    expect(meta.errors![0]!.message).toMatch(/input\.documents\[0\]\.meta/);
    const fine = await s.gql(CREATE, { i: { projectId, name: 'fine', source: 'fs', params: nested(30) } });
    expect(fine.errors).toBeUndefined();
  });

  it('refuses a status message over MAX_TEXT_BYTES and a worker name over MAX_NAME_BYTES', async () => {
    const msg = await s.gql(`mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`, {
      i: { stepId: '00000000-0000-4000-8000-000000000000', status: 'COMPLETED', message: 'm'.repeat(20_000) },
    });
    expect(errorCodes(msg)).toEqual(['BAD_USER_INPUT']);
    expect(msg.errors![0]!.message).toMatch(/MAX_TEXT_BYTES/);
    const worker = await s.gql(`mutation ($id: ID!) { workerCheckin(id: $id) { id } }`, { id: 'w'.repeat(5000) });
    expect(errorCodes(worker)).toEqual(['BAD_USER_INPUT']);
  });
});
