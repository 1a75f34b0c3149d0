import { getNamedType, getNullableType, isListType, isObjectType } from 'graphql';
import { LIST_MAXIMA, MAX_LIST_ITEMS } from '../../src/graphql/limits';
import { buildSchema } from '../../src/graphql/schema';
import { makeBatch, makeProject, makeRunGroup } from '../helpers/factories';
import { TEST_ADMIN_KEY, errorCodes, startTestServer, type TestServer } from '../helpers/server';

const post = (s: TestServer, query: string, variables?: Record<string, unknown>) =>
  fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });

describe('cost is an upper bound of the work, checked before anything loads', () => {
  let s: TestServer;
  let stepId: string;
  let projectId: string;
  beforeAll(async () => {
    s = await startTestServer();
    const project = await makeProject(s.db);
    projectId = project.id;
    const batch = await makeBatch(s.db, project.id);
    const { steps } = await makeRunGroup(s.db, {
      projectId: project.id,
      batchId: batch.id,
      runs: 1,
      stepsPerRun: 1,
      llmCallsPerStep: 120,
    });
    stepId = steps[0]!.id;
  });
  afterAll(() => s.stop());

  it('weighs every list field that is not a connection at its documented maximum', () => {
    const schema = buildSchema();
    const unweighed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type.name.endsWith('Connection')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListType(getNullableType(field.type))) continue;
        const key = `${type.name}.${field.name}`;
        if (!(key in LIST_MAXIMA)) unweighed.push(key);
        if (LIST_MAXIMA[key] === 'first') expect(field.args.map((a) => a.name)).toContain('first');
      }
    }
    expect(unweighed).toEqual([]);
    expect(getNamedType(schema.getQueryType()!.getFields().workers!.type).name).toBe('Worker');
  });

  it("refuses 15 aliases of a step's LLM calls with their prompt and response before reading a row", async () => {
    const aliases = Array.from(
      { length: 15 },
      (_, i) => `a${i}: step(id: $id) { llmCalls { promptFile { content } responseFile { content } } }`,
    ).join(' ');
    let res!: Response;
    const { sql } = await s.countStatements(async () => {
      res = await post(s, `query ($id: ID!) { ${aliases} }`, { id: stepId });
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    // 15 x 100 calls x 2 files x 5 MiB could be answered: far above MAX_RESPONSE_BYTES.
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'responseBytes' });
    expect(sql.filter((q) => /llm_call|stored_file|"step"/.test(q))).toEqual([]);
  });

  it("counts file content at its size: one step's prompts are refused by MAX_RESPONSE_BYTES unless maxBytes bounds them", async () => {
    const unbounded = await post(s, `query ($id: ID!) { step(id: $id) { llmCalls { promptFile { content } } } }`, {
      id: stepId,
    });
    expect(unbounded.status).toBe(400);
    expect(((await unbounded.json()) as any).errors[0].extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'responseBytes',
    });
    const bounded = await s.gql(
      `query ($id: ID!) { step(id: $id) { llmCalls { promptFile { content(maxBytes: 1024) } } } }`,
      { id: stepId },
    );
    expect(bounded.errors).toBeUndefined();
    // The list returns at most MAX_LIST_ITEMS of the step's 120 calls, as its cost assumed.
    expect(bounded.data.step.llmCalls).toHaveLength(MAX_LIST_ITEMS);
    expect(bounded.data.step.llmCalls[0].promptFile.content).toBe('prompt');
  });

  it('lets a client ask for fewer items of a short list with first', async () => {
    const res = await s.gql(`query ($id: ID!) { step(id: $id) { llmCalls(first: 3) { id } } }`, { id: stepId });
    expect(res.errors).toBeUndefined();
    expect(res.data.step.llmCalls).toHaveLength(3);
    const tooMany = await s.gql(`query ($id: ID!) { step(id: $id) { llmCalls(first: 101) { id } } }`, { id: stepId });
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
    const usage = await s.gql(`{ llmUsage(groupBy: MODEL, first: 1) { key } workers(first: 0) { id } }`);
    expect(usage.errors).toBeUndefined();
    expect(usage.data.llmUsage).toHaveLength(1);
    expect(usage.data.workers).toEqual([]);
  });

  it('passes the dashboard tree: project -> batches -> run groups -> runs -> steps -> LLM calls -> prompt file', async () => {
    const dashboard = `query ($p: ID!) { project(id: $p) { slug batches(first: 2) { pageInfo { hasNextPage } edges { node { name
        runGroups(first: 3) { nodes { name progress { total }
          runs(first: 10) { totalCount edges { cursor node { status
            steps(first: 10) { name status
              llmCalls(first: 5) { model promptFile { sizeBytes content(maxBytes: 256) } } } } } } } } } } } } }`;
    const res = await s.gql(dashboard, { p: projectId });
    expect(res.errors).toBeUndefined();
    const step = res.data.project.batches.edges[0].node.runGroups.nodes[0].runs.edges[0].node.steps[0];
    expect(step.llmCalls).toHaveLength(5);
  });

  it('refuses a cycle 20 levels deep (run -> runGroup -> runs -> ...) with QUERY_TOO_COMPLEX', async () => {
    const cycle = `{ runs(first: 1) { nodes { ${'runGroup { runs(first: 1) { nodes { '.repeat(10)}id${' } } }'.repeat(10)} } } }`;
    const res = await post(s, cycle);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'depth',
    });
  });
});
