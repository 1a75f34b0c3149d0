// Tenant isolation as an attacker would try it: keys of project A against project B's rows,
// through nested paths, subscriptions, shared worker names and revoked keys.
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';
import { collect, wsClient } from '../helpers/ws';

const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`;

async function keyFor(s: TestServer, projectId: string | null, role: string) {
  const data = await must(s, KEY, { i: { projectId, role } });
  return data.createApiKey as { secret: string; apiKey: { id: string } };
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;

describe('tenant isolation', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it("gives a subscriber of project A none of B's rows through a worker name both projects use", async () => {
    const pa = await createProject(s);
    const pb = await createProject(s);
    const readerA = await keyFor(s, pa.id, 'READER');
    const worker = `shared-${pa.slug}`;
    // B: the shared worker runs a step and records a prompt.
    await startRunGroup(s, (await createBatch(s, pb.id, 1)).id, [{ name: 'p', type: 'PARSE' }]);
    const bStep = await must(s, CLAIM, { i: { workerId: worker, projectId: pb.id } });
    await must(s, `mutation ($i: RecordLlmCallInput!) { recordLlmCall(input: $i) { id } }`, {
      i: {
        stepId: bStep.claimNextStep.id,
        provider: 'openai',
        model: 'm',
        operation: 'CHAT',
        prompt: 'prompt text of project B',
        response: 'r',
        promptTokens: 1,
        completionTokens: 1,
        costUsd: 0,
        latencyMs: 1,
        status: 'SUCCESS',
      },
    });
    await startRunGroup(s, (await createBatch(s, pa.id, 1)).id, [{ name: 'p', type: 'PARSE' }]);

    const client = wsClient(s.url, { connectionParams: bearer(readerA.secret) });
    const inner = `id worker { id activeSteps(first: 10) { id run { project { slug } } llmCalls(first: 10) { promptFile { content(maxBytes: 1000) } } } }`;
    const live = collect(
      client,
      `subscription ($p: ID!) { stepStatusChanged(filter: { projectId: $p }) { step { ${inner} } } }`,
      { p: pa.id },
    );
    await until(() => s.server.bus.listenerCount > 0);
    // A: the same worker name claims a step of A.
    const aStep = await must(s, CLAIM, { i: { workerId: worker, projectId: pa.id } });
    const [event] = await live.waitFor(1);
    await client.dispose();
    expect(live.errors).toEqual([]);
    const payload = JSON.stringify(event);
    expect(payload).toContain(aStep.claimNextStep.id);
    expect(payload).toContain(pa.slug);
    expect(payload).not.toContain(pb.slug);
    expect(payload).not.toContain(bStep.claimNextStep.id);
    expect(payload).not.toContain(Buffer.from('prompt text of project B').toString('base64'));
    expect(payload).not.toContain('prompt text of project B');
    // The same selection over HTTP says the same.
    const http = await s.gql(
      `query ($id: ID!) { step(id: $id) { ${inner} } }`,
      {
        id: aStep.claimNextStep.id,
      },
      bearer(readerA.secret),
    );
    expect(http.errors).toBeUndefined();
    expect(JSON.stringify(http.data)).toContain(pa.slug);
    expect(JSON.stringify(http.data)).not.toContain(pb.slug);
  });

  it("keeps B's dead worker dead when A's writer checks in under its name: B's step is taken over after the lease", async () => {
    const pa = await createProject(s);
    const pb = await createProject(s);
    const writerA = await keyFor(s, pa.id, 'WRITER');
    const worker = `victim-${pb.slug}`;
    // A retry left: a step taken over from a lost worker counts an attempt.
    await startRunGroup(s, (await createBatch(s, pb.id, 1)).id, [{ name: 'p', type: 'PARSE', maxRetries: 1 }]);
    const held = (await must(s, CLAIM, { i: { workerId: worker, projectId: pb.id } })).claimNextStep;
    // The worker's active steps are its own project's running steps.
    const holder = await must(s, `query ($id: ID!) { step(id: $id) { worker { id activeSteps { id } } } }`, {
      id: held.id,
    });
    expect(holder.step.worker).toEqual({ id: worker, activeSteps: [{ id: held.id }] });
    // B's worker went silent past the lease...
    await s
      .db('worker')
      .where({ id: worker })
      .update({ lastCheckinAt: s.db.raw(`now() - interval '1 hour'`) });
    // ...while A's writer keeps checking in a worker of that name.
    const checkin = await s.gql(
      `mutation ($id: ID!) { workerCheckin(id: $id) { id isStale(afterSeconds: 60) activeSteps { id } } }`,
      { id: worker },
      bearer(writerA.secret),
    );
    expect(checkin.errors).toBeUndefined();
    expect(checkin.data.workerCheckin).toEqual({ id: worker, isStale: false, activeSteps: [] });
    const taken = (await must(s, CLAIM, { i: { workerId: 'rescuer', projectId: pb.id } })).claimNextStep;
    expect(taken).toEqual({ id: held.id });
    // A sees only its own worker of that name; B's is not A's to see.
    const seen = await s.gql(`{ workers { id activeSteps { id } } }`, {}, bearer(writerA.secret));
    expect(seen.data.workers).toEqual([{ id: worker, activeSteps: [] }]);
  });

  it('makes an admin key for every project name the project of a worker check-in; another project is NOT_FOUND', async () => {
    const pa = await createProject(s);
    const pb = await createProject(s);
    const writerA = await keyFor(s, pa.id, 'WRITER');
    const noProject = await s.gql(`mutation { workerCheckin(id: "w") { id } }`);
    expect(noProject.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'projectId' });
    const named = await s.gql(`mutation ($p: ID!) { workerCheckin(id: "w", projectId: $p) { id } }`, { p: pb.id });
    expect(named.data).toEqual({ workerCheckin: { id: 'w' } });
    const other = await s.gql(
      `mutation ($p: ID!) { workerCheckin(id: "w", projectId: $p) { id } }`,
      { p: pb.id },
      bearer(writerA.secret),
    );
    const missing = await s.gql(
      `mutation ($p: ID!) { workerCheckin(id: "w", projectId: $p) { id } }`,
      { p: '00000000-0000-4000-8000-000000000000' },
      bearer(writerA.secret),
    );
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(other.errors?.[0]?.message.replace(pb.id, 'ID')).toBe(
      missing.errors?.[0]?.message.replace('00000000-0000-4000-8000-000000000000', 'ID'),
    );
  });
});
