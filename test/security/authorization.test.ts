// Who may do what: every Query field, Mutation and Subscription, with keys of each role for the
// project that owns the data (A), for another project (B), an admin key for all, and no key.
import { b64, createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

type Outcome = 'ALLOWED' | 'EMPTY' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'FORBIDDEN' | 'UNAUTHENTICATED';
type Need = 'READER' | 'WRITER' | 'ADMIN' | 'GLOBAL_ADMIN';
interface Op {
  name: string;
  kind: 'query' | 'mutation' | 'subscription';
  doc: string;
  vars: () => Record<string, unknown>;
  need: Need;
  /** What a key of project B gets for this operation on project A's data. */
  other: 'NOT_FOUND' | 'BAD_USER_INPUT' | 'EMPTY' | 'ALLOWED';
}
interface Key {
  name: string;
  secret: string | null;
  role: 'READER' | 'WRITER' | 'ADMIN' | null;
  project: 'A' | 'B' | 'ALL' | null;
}

const RANK = { READER: 1, WRITER: 2, ADMIN: 3 } as const;

function expected(op: Op, key: Key): Outcome {
  if (!key.role) return 'UNAUTHENTICATED';
  if (op.need === 'GLOBAL_ADMIN') return key.role === 'ADMIN' && key.project === 'ALL' ? 'ALLOWED' : 'FORBIDDEN';
  if (RANK[key.role] < RANK[op.need]) return 'FORBIDDEN';
  if (key.project === 'B') return op.other;
  return 'ALLOWED';
}

describe('authorization matrix', () => {
  let s: TestServer;
  const a: Record<string, any> = {};
  const keys: Key[] = [];
  let aIds: string[] = [];

  beforeAll(async () => {
    s = await startTestServer();
    const pa = await createProject(s);
    const pb = await createProject(s);
    a.project = pa.id;
    a.batch = (await createBatch(s, pa.id, 2)).id;
    a.openBatch = (await createBatch(s, pa.id, 1)).id;
    a.group = (
      await startRunGroup(s, a.batch, [
        { name: 'x', type: 'PARSE' },
        { name: 'y', type: 'CHUNK' },
      ])
    ).id;
    a.cancelGroup = (await startRunGroup(s, a.batch, [{ name: 'z', type: 'ROUTE' }])).id;
    const step = (
      await must(
        s,
        `mutation ($p: ID!) { claimNextStep(input: { workerId: "worker-of-a", projectId: $p, types: [PARSE] }) { id run { id document { id hash uris { uri source } } } } }`,
        { p: pa.id },
      )
    ).claimNextStep;
    a.step = step.id;
    a.run = step.run.id;
    a.document = step.run.document.id;
    a.hash = step.run.document.hash;
    a.uri = step.run.document.uris[0].uri;
    a.call = (
      await must(
        s,
        `mutation ($s: ID!) { recordLlmCall(input: { stepId: $s, provider: "p", model: "secret-model-a", operation: CHAT, prompt: "p", response: "r", latencyMs: 1, status: SUCCESS }) { id promptFile { id } } }`,
        { s: a.step },
      )
    ).recordLlmCall;
    a.file = a.call.promptFile.id;
    a.callId = a.call.id;
    a.groupStart = (
      await must(s, `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { cursor } } }`, {
        g: a.group,
      })
    ).lifecycleEvents.nodes[0].cursor;
    // B has data of its own, and a worker of its own.
    const bBatch = await createBatch(s, pb.id, 1);
    await startRunGroup(s, bBatch.id, [{ name: 'b', type: 'PARSE' }]);
    await must(s, `mutation ($p: ID!) { claimNextStep(input: { workerId: "worker-of-b", projectId: $p }) { id } }`, {
      p: pb.id,
    });

    const key = async (role: string, projectId: string | null) =>
      (
        await must(s, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`, {
          i: { role, projectId },
        })
      ).createApiKey;
    for (const [project, id] of [
      ['A', pa.id],
      ['B', pb.id],
    ] as const) {
      for (const role of ['READER', 'WRITER', 'ADMIN'] as const) {
        const k = await key(role, id);
        keys.push({ name: `${role.toLowerCase()} of ${project}`, secret: k.secret, role, project });
        if (project === 'A' && role === 'READER') a.readerKeyId = k.apiKey.id;
      }
    }
    keys.push({ name: 'admin of all', secret: (await key('ADMIN', null)).secret, role: 'ADMIN', project: 'ALL' });
    keys.push({ name: 'no key', secret: null, role: null, project: null });
    keys.push({ name: 'unknown key', secret: 'rl_not-a-real-key', role: null, project: null });
    aIds = [
      pa.id,
      a.batch,
      a.group,
      a.step,
      a.run,
      a.document,
      a.hash,
      a.callId,
      a.file,
      'secret-model-a',
      'worker-of-a',
    ];
  });
  afterAll(() => s.stop());

  const Q = (name: string, doc: string, vars: () => Record<string, unknown>, other: Op['other']): Op => ({
    name,
    kind: 'query',
    doc,
    vars,
    need: 'READER',
    other,
  });
  const M = (
    name: string,
    doc: string,
    vars: () => Record<string, unknown>,
    need: Need = 'WRITER',
    other: Op['other'] = 'NOT_FOUND',
  ): Op => ({ name, kind: 'mutation', doc, vars, need, other });
  const ops: Op[] = [
    Q('project', `query ($id: ID!) { project(id: $id) { id } }`, () => ({ id: a.project }), 'NOT_FOUND'),
    Q('projects', `{ projects { nodes { id } } }`, () => ({}), 'EMPTY'),
    Q('batch', `query ($id: ID!) { batch(id: $id) { id } }`, () => ({ id: a.batch }), 'NOT_FOUND'),
    Q(
      'batches',
      `query ($p: ID) { batches(filter: { projectId: $p }) { nodes { id } } }`,
      () => ({ p: a.project }),
      'EMPTY',
    ),
    Q('document', `query ($id: ID!) { document(id: $id) { id } }`, () => ({ id: a.document }), 'NOT_FOUND'),
    Q(
      'documentByHash',
      `query ($p: ID!, $h: String!) { documentByHash(projectId: $p, hash: $h) { id } }`,
      () => ({ p: a.project, h: a.hash }),
      'NOT_FOUND',
    ),
    Q(
      'documentByUri',
      `query ($p: ID!, $u: String!) { documentByUri(projectId: $p, source: "fs", uri: $u) { id } }`,
      () => ({ p: a.project, u: a.uri }),
      'NOT_FOUND',
    ),
    Q('runGroup', `query ($id: ID!) { runGroup(id: $id) { id } }`, () => ({ id: a.group }), 'NOT_FOUND'),
    Q(
      'runGroups',
      `query ($p: ID) { runGroups(filter: { projectId: $p }) { nodes { id } } }`,
      () => ({ p: a.project }),
      'EMPTY',
    ),
    Q('run', `query ($id: ID!) { run(id: $id) { id } }`, () => ({ id: a.run }), 'NOT_FOUND'),
    Q('runs', `query ($p: ID) { runs(filter: { projectId: $p }) { nodes { id } } }`, () => ({ p: a.project }), 'EMPTY'),
    Q('step', `query ($id: ID!) { step(id: $id) { id } }`, () => ({ id: a.step }), 'NOT_FOUND'),
    Q('llmCall', `query ($id: ID!) { llmCall(id: $id) { id } }`, () => ({ id: a.callId }), 'NOT_FOUND'),
    Q(
      'llmCalls',
      `query ($p: ID) { llmCalls(filter: { projectId: $p }) { nodes { id model } } }`,
      () => ({ p: a.project }),
      'EMPTY',
    ),
    Q(
      'llmUsage',
      `query ($p: ID) { llmUsage(groupBy: MODEL, filter: { projectId: $p }) { key calls } }`,
      () => ({ p: a.project }),
      'EMPTY',
    ),
    Q(
      'lifecycleEvents',
      `query ($p: ID) { lifecycleEvents(filter: { projectId: $p }) { nodes { id runGroup { id } } } }`,
      () => ({ p: a.project }),
      'EMPTY',
    ),
    Q('storedFile', `query ($id: ID!) { storedFile(id: $id) { id } }`, () => ({ id: a.file }), 'NOT_FOUND'),
    Q('workers', `{ workers { id } }`, () => ({}), 'EMPTY'),
    M(
      'createProject',
      `mutation ($s: String!) { createProject(input: { slug: $s, name: "n" }) { id } }`,
      () => ({ s: `p-${Math.random().toString(36).slice(2, 10)}` }),
      'GLOBAL_ADMIN',
    ),
    M(
      'createApiKey',
      `mutation ($p: ID) { createApiKey(input: { projectId: $p, role: READER }) { secret } }`,
      () => ({ p: a.project }),
      'ADMIN',
    ),
    M('revokeApiKey', `mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`, () => ({ id: a.spareKey }), 'ADMIN'),
    M(
      'createBatch',
      `mutation ($p: ID!) { createBatch(input: { projectId: $p, name: "m", source: "fs" }) { id } }`,
      () => ({ p: a.project }),
    ),
    M(
      'addDocuments',
      `mutation ($b: ID!, $c: String!) { addDocuments(input: { batchId: $b, documents: [{ uri: "/m", content: $c, mimeType: "text/plain" }] }) { created } }`,
      () => ({ b: a.openBatch, c: b64('matrix') }),
    ),
    M('completeBatch', `mutation ($id: ID!) { completeBatch(id: $id) { id } }`, () => ({ id: a.batch })),
    M(
      'startRunGroup',
      `mutation ($b: ID!) { startRunGroup(input: { batchId: $b, workflowDefinitionId: "wf", steps: [{ name: "s", type: ENRICH }] }) { id } }`,
      () => ({ b: a.batch }),
    ),
    M(
      'claimNextStep',
      `mutation ($p: ID) { claimNextStep(input: { workerId: "matrix-worker", projectId: $p, types: [ENRICH] }) { id } }`,
      () => ({ p: a.project }),
      'WRITER',
      'EMPTY',
    ),
    M(
      'updateStepStatus',
      `mutation ($id: ID!) { updateStepStatus(input: { stepId: $id, status: RUNNING }) { id } }`,
      () => ({ id: a.step }),
    ),
    // Not held by this worker: CONFLICT for A's writers (allowed through), NOT_FOUND for B's.
    M(
      'releaseStep',
      `mutation ($id: ID!) { releaseStep(input: { stepId: $id, workerId: "not-the-holder", expectedVersion: 0 }) { id } }`,
      () => ({ id: a.step }),
    ),
    M(
      'recordLlmCall',
      `mutation ($s: ID!) { recordLlmCall(input: { stepId: $s, provider: "p", model: "m", operation: CHAT, prompt: "x", latencyMs: 1, status: SUCCESS }) { id } }`,
      () => ({ s: a.step }),
    ),
    M('storeFile', `mutation ($r: ID!) { storeFile(input: { runId: $r, kind: LOG, content: "log" }) { id } }`, () => ({
      r: a.run,
    })),
    // A worker belongs to one project: A's, named (B's keys: NOT_FOUND, as for any of A's rows).
    M(
      'workerCheckin',
      `mutation ($p: ID) { workerCheckin(id: "matrix-checkin", projectId: $p) { id } }`,
      () => ({ p: a.project }),
      'WRITER',
      'NOT_FOUND',
    ),
    M('cancelRunGroup', `mutation ($id: ID!) { cancelRunGroup(id: $id) { id } }`, () => ({ id: a.cancelGroup })),
    M('deleteRunGroup', `mutation ($id: ID!) { deleteRunGroup(id: $id, dryRun: true) { totalDeleted } }`, () => ({
      id: a.group,
    })),
    M(
      'deleteDocumentUri',
      `mutation ($p: ID!, $u: String!) { deleteDocumentUri(input: { projectId: $p, source: "fs", uri: $u }, dryRun: true) { totalDeleted } }`,
      () => ({ p: a.project, u: a.uri }),
    ),
  ];

  function classify(res: { errors?: { extensions?: { code?: string } }[]; data?: unknown }, key: Key): Outcome {
    const code = res.errors?.[0]?.extensions?.code;
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' || code === 'NOT_FOUND' || code === 'BAD_USER_INPUT')
      return code;
    if (key.project === 'B') {
      const text = JSON.stringify(res.data ?? null);
      const leaked = aIds.filter((id) => text.includes(id));
      if (leaked.length) throw new Error(`${key.name} saw project A data: ${leaked.join(', ')}`);
      return 'EMPTY';
    }
    return 'ALLOWED';
  }

  it('gives each key exactly what its role and project allow, over HTTP, for every query and mutation', async () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const op of ops) {
      for (const key of keys) {
        if (op.name === 'revokeApiKey') {
          a.spareKey = (
            await must(
              s,
              `mutation ($p: ID!) { createApiKey(input: { projectId: $p, role: READER }) { apiKey { id } } }`,
              { p: a.project },
            )
          ).createApiKey.apiKey.id;
        }
        const res = await s.gql(
          op.doc,
          op.vars(),
          key.secret ? { authorization: `Bearer ${key.secret}` } : { authorization: '' },
        );
        let got = classify(res, key);
        const want = expected(op, key);
        // A B key that is allowed to act sees only B: ALLOWED and EMPTY are the same there.
        if (want === 'ALLOWED' && key.project === 'B' && got === 'EMPTY') got = 'ALLOWED';
        cells++;
        if (got !== want)
          mismatches.push(
            `${op.name} with ${key.name}: expected ${want}, got ${got} ${JSON.stringify(res.errors ?? '')}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
    console.log(`authorization matrix: ${cells} HTTP cells (${ops.length} operations x ${keys.length} keys)`);
  });

  it('applies the same rules to every subscription over WebSocket', async () => {
    const subs: Op[] = [
      {
        name: 'stepStatusChanged',
        kind: 'subscription',
        doc: `subscription ($g: ID, $after: String) { stepStatusChanged(filter: { runGroupId: $g }, after: $after) { cursor step { id } } }`,
        vars: () => ({ g: a.group, after: a.groupStart }),
        need: 'READER',
        // A cursor is a position in the log, not a row: B may resume from it, and receives
        // nothing of A's.
        other: 'EMPTY',
      },
      {
        name: 'lifecycleEvents',
        kind: 'subscription',
        doc: `subscription ($g: ID, $after: String) { lifecycleEvents(filter: { runGroupId: $g }, after: $after) { cursor runGroup { id } } }`,
        vars: () => ({ g: a.group, after: a.groupStart }),
        need: 'READER',
        // A cursor is a position in the log, not a row: B may resume from it, and receives
        // nothing of A's.
        other: 'EMPTY',
      },
      {
        name: 'runGroupProgress',
        kind: 'subscription',
        doc: `subscription ($g: ID!) { runGroupProgress(runGroupId: $g) { total } }`,
        vars: () => ({ g: a.group }),
        need: 'READER',
        other: 'NOT_FOUND',
      },
    ];
    // What an admin's replay after the group's first event delivers: every later event, or its
    // step events.
    const groupEvents = s.db('lifecycle_event').where({ runGroupId: a.group });
    const count = async (q: typeof groupEvents) => Number((await q.count({ n: '*' }).first())!.n);
    const replayed: Record<string, number> = {
      lifecycleEvents: (await count(groupEvents.clone())) - 1,
      stepStatusChanged: await count(groupEvents.clone().whereNotNull('stepId')),
    };
    const mismatches: string[] = [];
    let cells = 0;
    for (const op of subs) {
      for (const key of keys) {
        const client = wsClient(s.url, {
          connectionParams: key.secret ? { authorization: `Bearer ${key.secret}` } : {},
        });
        const listened = listening(s);
        const sub = collect(client, op.doc, op.vars());
        const want = expected(op, key);
        let got: Outcome;
        if (want === 'EMPTY') {
          // Nothing may arrive. Once this subscription listens, the same subscription by the
          // admin key, started after it, replays the group's events to the end: whatever the
          // replay of this one would leak has been read by then, rather than "within 300 ms".
          await listened(1);
          const witnessClient = wsClient(s.url);
          const witness = collect(witnessClient, op.doc, op.vars());
          await witness.waitFor(replayed[op.name]!, 10_000);
          expect(witness.values).toHaveLength(replayed[op.name]!);
          witness.unsubscribe();
          await witnessClient.dispose();
        } else {
          await sub.waitFor(1, 5000).catch(() => undefined);
        }
        const closed = sub.errors.find((e: any) => e?.code === 4403);
        if (closed) got = 'UNAUTHENTICATED';
        else
          got = classify(
            { errors: sub.errors.flatMap((e: any) => (e?.extensions ? [e] : e?.message ? [e] : [])), data: sub.values },
            key,
          );
        if (got === 'EMPTY' && key.project !== 'B') got = sub.values.length ? 'ALLOWED' : 'EMPTY';
        cells++;
        if (got !== want)
          mismatches.push(`${op.name} with ${key.name}: expected ${want}, got ${got} ${JSON.stringify(sub.errors)}`);
        sub.unsubscribe();
        await client.dispose();
      }
    }
    expect(mismatches).toEqual([]);
    console.log(`authorization matrix: ${cells} WebSocket cells`);
  });

  it('shows a secret once, stores only its hash, and refuses a revoked key at once', async () => {
    const created = (
      await must(
        s,
        `mutation ($p: ID!) { createApiKey(input: { projectId: $p, role: READER }) { secret apiKey { id role revokedAt project { id } } } }`,
        { p: a.project },
      )
    ).createApiKey;
    expect(created.secret).toMatch(/^rl_[A-Za-z0-9_-]{43}$/);
    const row = await s.db('api_key').where({ id: created.apiKey.id }).first();
    expect(JSON.stringify(row)).not.toContain(created.secret);
    const use = () => s.gql(`{ projects { totalCount } }`, {}, { authorization: `Bearer ${created.secret}` });
    expect((await use()).data.projects.totalCount).toBe(1);
    await must(s, `mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: created.apiKey.id });
    const after = await use();
    expect(after.status).toBe(401);
    expect(after.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});
