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
    const inner = `id worker { id activeSteps { id run { project { slug } } llmCalls { promptFile { content } } } }`;
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
});
