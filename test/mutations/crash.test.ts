// A server killed with SIGKILL in the middle of hundreds of writes leaves no half-written
// parent, and keeps every write it acknowledged.
import { useTestDatabase } from '../helpers/database';
import { post as gqlAt, startServerProcess, type ServerProcess } from '../helpers/process';

type Server = ServerProcess;
const startServer = (databaseUrl: string) =>
  startServerProcess({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'fatal', DB_POOL_MAX: '20' });
const gql = (url: string, query: string, variables: Record<string, unknown>) => gqlAt(url, query, variables);

const t = useTestDatabase();

describe('a server killed mid-write', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  it('leaves no group without its runs and steps, no call without its files, and keeps every acknowledged write', async () => {
    const first = await startServer(t.url);
    servers.push(first);
    const project = (
      await gql(first.url, `mutation { createProject(input: { slug: "crash", name: "crash" }) { id } }`, {})
    ).data.createProject;
    const docs = Array.from({ length: 5 }, (_, i) => ({
      uri: `/c/${i}`,
      content: Buffer.from(`crash ${i}`).toString('base64'),
      mimeType: 'text/plain',
    }));
    const batch = (
      await gql(first.url, `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
        i: { projectId: project.id, name: 'b', source: 'fs', documents: docs },
      })
    ).data.createBatch;
    const steps = [
      { name: 'a', type: 'INGEST' },
      { name: 'b', type: 'PARSE' },
      { name: 'c', type: 'EMBED' },
    ];
    const START = `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`;
    const group = (await gql(first.url, START, { i: { batchId: batch.id, workflowDefinitionId: 'wf', steps } })).data
      .startRunGroup;
    const run = (
      await gql(first.url, `query ($id: ID!) { runGroup(id: $id) { runs(first: 1) { nodes { id } } } }`, {
        id: group.id,
      })
    ).data.runGroup.runs.nodes[0];

    const acknowledged = { groups: [] as string[], calls: [] as string[] };
    const RECORD = `mutation ($i: RecordLlmCallInput!) { recordLlmCall(input: $i) { id } }`;
    let settled = 0;
    const killAfter = 120;
    const requests = Array.from({ length: 300 }, (_, i) =>
      (i % 2
        ? gql(first.url, START, { i: { batchId: batch.id, workflowDefinitionId: 'wf', steps } }).then(
            (r) => r.data?.startRunGroup && acknowledged.groups.push(r.data.startRunGroup.id),
          )
        : gql(first.url, RECORD, {
            i: {
              runId: run.id,
              provider: 'p',
              model: 'm',
              operation: 'CHAT',
              prompt: `prompt ${i} `.repeat(50),
              response: `response ${i}`,
              latencyMs: i,
              status: 'SUCCESS',
            },
          }).then((r) => r.data?.recordLlmCall && acknowledged.calls.push(r.data.recordLlmCall.id))
      )
        .catch(() => undefined) // the connection dies with the server
        .finally(() => {
          if (++settled === killAfter) first.child.kill('SIGKILL');
        }),
    );
    await Promise.all(requests);
    await first.exited;
    expect(acknowledged.groups.length + acknowledged.calls.length).toBeGreaterThanOrEqual(killAfter - 1);
    expect(acknowledged.groups.length + acknowledged.calls.length).toBeLessThan(300);

    const second = await startServer(t.url);
    servers.push(second);
    const db = t.db;
    const count = async (sql: string) => Number((await db.raw(sql)).rows[0].n);
    expect(
      await count(
        `select count(*) as n from run_group g where not exists (select 1 from run r where r.run_group_id = g.id)`,
      ),
    ).toBe(0);
    expect(
      await count(
        `select count(*) as n from run_group g where (select count(*) from run r where r.run_group_id = g.id) <> 5`,
      ),
    ).toBe(0);
    expect(
      await count(`select count(*) as n from run r where (select count(*) from step s where s.run_id = r.id) <> 3`),
    ).toBe(0);
    expect(
      await count(
        `select count(*) as n from run_group g where not exists (select 1 from lifecycle_event e where e.run_group_id = g.id and e.type = 'GROUP_START')`,
      ),
    ).toBe(0);
    expect(
      await count(
        `select count(*) as n from llm_call c where (select count(*) from stored_file f where f.llm_call_id = c.id) <> 2`,
      ),
    ).toBe(0);
    expect(
      await count(
        `select count(*) as n from stored_file where num_nonnulls(document_id, run_id, step_id, llm_call_id) <> 1`,
      ),
    ).toBe(0);

    // Every write the client saw succeed is there, read through the restarted server.
    for (const id of acknowledged.groups) {
      const res = await gql(second.url, `query ($id: ID!) { runGroup(id: $id) { runs { totalCount } } }`, { id });
      expect(res.data?.runGroup?.runs.totalCount).toBe(5);
    }
    for (const id of acknowledged.calls) {
      const res = await gql(
        second.url,
        `query ($id: ID!) { llmCall(id: $id) { promptFile { sizeBytes } responseFile { sizeBytes } } }`,
        { id },
      );
      expect(res.data?.llmCall?.responseFile?.sizeBytes).toBeGreaterThan(0);
    }
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
