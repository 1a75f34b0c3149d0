// Real concurrency: several connections, requests in flight at once.
import { UPDATE, b64, claim, createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { makeDocuments } from '../helpers/factories';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

describe('racing writers', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 12 });
  });
  afterAll(() => s.stop());

  it('8 concurrent claimers over 500 steps: every step claimed exactly once', async () => {
    const project = await createProject(s);
    const [batch] = await s.db('batch').insert({ projectId: project.id, name: 'race', source: 'fs' }).returning('id');
    await makeDocuments(s.db, project.id, batch.id, 500);
    await startRunGroup(s, batch.id, [{ name: 'only', type: 'PARSE' }]);

    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const step = await claim(s, `racer-${w}`, { projectId: project.id });
          if (!step) return;
          claimed.push(step.id);
        }
      }),
    );
    expect(claimed).toHaveLength(500);
    expect(new Set(claimed).size).toBe(500);
    const running = await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.batchId', batch.id)
      .where('step.status', 'RUNNING')
      .count({ n: '*' })
      .first();
    expect(Number(running!.n)).toBe(500);
  });

  it('20 concurrent updates with the same expectedVersion: exactly one succeeds, the rest CONFLICT', async () => {
    const project = await createProject(s);
    const b = await createBatch(s, project.id, 1);
    await startRunGroup(s, b.id);
    const step = await claim(s, 'w', { projectId: project.id });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.gql(UPDATE, {
          i: { stepId: step!.id, status: i % 2 ? 'COMPLETED' : 'ERROR', expectedVersion: step!.version },
        }),
      ),
    );
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => errorCodes(r)[0] === 'CONFLICT')).toHaveLength(19);
    const row = await s.db('step').where({ id: step!.id }).first();
    expect(row.version).toBe(step!.version + 1);
  });

  it('two racing calls with one idempotency key write one set of rows', async () => {
    const project = await createProject(s);
    const input = {
      projectId: project.id,
      name: 'idem',
      source: 'fs',
      idempotencyKey: 'race-key',
      documents: [{ uri: '/r', content: b64('race'), mimeType: 'a' }],
    };
    const q = `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`;
    const [a, b2] = await Promise.all([s.gql(q, { i: input }), s.gql(q, { i: input })]);
    expect(a).toSucceed();
    expect(b2).toSucceed();
    expect(a.data.createBatch.id).toBe(b2.data.createBatch.id);
    expect(Number((await s.db('batch').where({ projectId: project.id }).count({ n: '*' }).first())!.n)).toBe(1);
    expect(Number((await s.db('document').where({ projectId: project.id }).count({ n: '*' }).first())!.n)).toBe(1);
  });

  it('runs finishing at once still close their group exactly once', async () => {
    const project = await createProject(s);
    const b = await createBatch(s, project.id, 16);
    const g = await startRunGroup(s, b.id, [{ name: 'only', type: 'PARSE' }]);
    const steps = await Promise.all(
      Array.from({ length: 16 }, (_, i) => claim(s, `fin-${i}`, { projectId: project.id })),
    );
    await Promise.all(
      steps.map((st, i) => must(s, UPDATE, { i: { stepId: st!.id, status: 'COMPLETED', workerId: `fin-${i}` } })),
    );
    const group = (
      await must(s, `query ($id: ID!) { runGroup(id: $id) { status progress { completed } } }`, { id: g.id })
    ).runGroup;
    expect(group).toEqual({ status: 'COMPLETED', progress: { completed: 16 } });
    const ends = await s.db('lifecycle_event').where({ runGroupId: g.id, type: 'GROUP_END' }).count({ n: '*' }).first();
    expect(Number(ends!.n)).toBe(1);
  });
});
