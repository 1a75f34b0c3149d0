// The nested-path part of the authorization matrix, generated from the schema: from every Query
// and Subscription root field, every relation path reachable from its type (to a bounded depth,
// no type twice on a path), run with a READER key of project A and one of B while both projects
// have activity and share a worker name. Every payload is scanned for the other project's ids,
// slug and prompt text. A field added to the schema is walked without editing this test.
import {
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLObjectType,
} from 'graphql';
import { buildSchema } from '../../src/graphql/schema';
import { b64, claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient, type Received } from '../helpers/ws';

/** Relations below the root field's type; connection and edge wrappers do not count. */
const DEPTH = 3;
const WORKER = 'shared-worker';
/** claimedStep claims: its cells run with a WRITER key, each on a ROUTE step of its own. */
const CLAIMER = 'matrix-claimer';

const schema = buildSchema();

interface Project {
  id: string;
  slug: string;
  secret: string;
  writerSecret: string;
  groupId: string;
  runId: string;
  stepId: string;
  batchId: string;
  documentId: string;
  documentHash: string;
  uri: { source: string; uri: string };
  llmCallId: string;
  fileId: string;
  prompt: string;
  /** Every id of the project's rows and its identifying text: none may reach the other key. */
  marks: string[];
}

const isWrapper = (t: GraphQLObjectType) => /(Connection|Edge)$/.test(t.name);
const hasRequiredArgs = (f: GraphQLField<unknown, unknown>) =>
  f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);
const argsOf = (f: GraphQLField<unknown, unknown>) => (f.args.some((a) => a.name === 'first') ? '(first: 2)' : '');

/** The scalars of a type a client can select without arguments it must invent. */
function leaves(t: GraphQLObjectType): string {
  // Bytes are read at most 200 per field, so a path's size stays within the response limit.
  const names = Object.values(t.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)) && !hasRequiredArgs(f))
    .map((f) => (f.args.some((a) => a.name === 'maxBytes') ? `${f.name}(maxBytes: 200)` : f.name));
  return ['__typename', ...names].join(' ');
}

/** Every relation path from `type`, as selection sets. */
function paths(type: GraphQLObjectType, depth: number, seen: ReadonlySet<string>): string[] {
  const here = leaves(type);
  const out = [here];
  if (depth === DEPTH) return out;
  for (const field of Object.values(type.getFields())) {
    if (hasRequiredArgs(field)) continue;
    const next = getNamedType(field.type);
    if (isInterfaceType(next)) continue;
    if (!isObjectType(next) || seen.has(next.name)) continue;
    const nextDepth = isWrapper(next) ? depth : depth + 1;
    for (const inner of paths(next, nextDepth, new Set([...seen, next.name]))) {
      out.push(`${here} ${field.name}${argsOf(field)} { ${inner} }`);
    }
  }
  return out;
}

/** Arguments for a root field, from the caller's own project; null when one cannot be supplied. */
function rootArgs(field: GraphQLField<unknown, unknown>, own: Project): string | null {
  const byType: Record<string, string> = {
    Project: own.id,
    Batch: own.batchId,
    Document: own.documentId,
    RunGroup: own.groupId,
    Run: own.runId,
    Step: own.stepId,
    LlmCall: own.llmCallId,
    StoredFile: own.fileId,
  };
  const values: Record<string, string> = {
    projectId: JSON.stringify(own.id),
    hash: JSON.stringify(own.documentHash),
    source: JSON.stringify(own.uri.source),
    uri: JSON.stringify(own.uri.uri),
    runGroupId: JSON.stringify(own.groupId),
    workerId: JSON.stringify(WORKER),
    input: `{ workerId: ${JSON.stringify(CLAIMER)}, projectId: ${JSON.stringify(own.id)}, types: [ROUTE] }`,
    groupBy: 'MODEL',
    filter: '{}',
    first: '2',
  };
  const parts: string[] = [];
  for (const arg of field.args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    let value: string | undefined;
    if (arg.name === 'id') {
      const id = byType[getNamedType(field.type).name];
      value = id ? JSON.stringify(id) : undefined;
    } else if (arg.name === 'filter') value = required ? '{}' : undefined;
    else if (arg.name === 'first') value = '2';
    else if (required) value = values[arg.name];
    if (value !== undefined) parts.push(`${arg.name}: ${value}`);
    else if (required) return null;
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

interface Cell {
  root: string;
  kind: 'query' | 'subscription';
  selection: string;
}

function cells(root: GraphQLObjectType, kind: Cell['kind']): Cell[] {
  const out: Cell[] = [];
  for (const field of Object.values(root.getFields())) {
    const type = getNamedType(field.type);
    if (isLeafType(type)) out.push({ root: field.name, kind, selection: '' });
    else if (isObjectType(type))
      for (const selection of paths(type, isWrapper(type) ? 0 : 0, new Set([type.name])))
        out.push({ root: field.name, kind, selection });
  }
  return out;
}

describe('nested-path authorization matrix (generated from the schema)', () => {
  let s: TestServer;
  const projects: Project[] = [];

  async function activity(p: { id: string; slug: string }): Promise<Project> {
    const secret = (
      await must(s, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
        i: { projectId: p.id, role: 'READER' },
      })
    ).createApiKey.secret as string;
    const writerSecret = (
      await must(s, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
        i: { projectId: p.id, role: 'WRITER' },
      })
    ).createApiKey.secret as string;
    const batch = await createBatch(s, p.id, 2, `batch-${p.slug}`);
    const group = await startRunGroup(s, batch.id, [
      { name: 'parse', type: 'PARSE' },
      { name: 'chunk', type: 'CHUNK' },
    ]);
    const step = (await claim(s, WORKER, { projectId: p.id }))!;
    const prompt = `the prompt of ${p.slug}`;
    const call = (
      await must(s, `mutation ($i: RecordLlmCallInput!) { recordLlmCall(input: $i) { id promptFile { id } } }`, {
        i: {
          stepId: step.id,
          provider: 'openai',
          model: 'm',
          operation: 'CHAT',
          prompt,
          response: `the response of ${p.slug}`,
          promptTokens: 1,
          completionTokens: 1,
          costUsd: 0,
          latencyMs: 1,
          status: 'SUCCESS',
        },
      })
    ).recordLlmCall;
    const doc = await must(
      s,
      `query ($id: ID!) { run(id: $id) { document { id hash uris(first: 1) { source uri } } } }`,
      { id: step.run.id },
    );
    // One ROUTE step for each claimedStep cell to claim (the steps above are other types).
    const claimable = cells(schema.getSubscriptionType()!, 'subscription').filter((c) => c.root === 'claimedStep');
    if (claimable.length) {
      const routes = await createBatch(s, p.id, claimable.length, `routes-${p.slug}`);
      await startRunGroup(s, routes.id, [{ name: 'route', type: 'ROUTE' }]);
    }
    const marks: string[] = [p.id, p.slug, prompt, b64(prompt), `the response of ${p.slug}`];
    for (const table of ['batch', 'document', 'document_uri', 'run_group', 'run', 'step', 'llm_call', 'stored_file'])
      marks.push(...((await s.db(table).where({ projectId: p.id }).pluck('id')) as string[]));
    return {
      ...p,
      secret,
      writerSecret,
      groupId: group.id,
      runId: step.run.id,
      stepId: step.id,
      batchId: batch.id,
      documentId: doc.run.document.id,
      documentHash: doc.run.document.hash,
      uri: doc.run.document.uris[0],
      llmCallId: call.id,
      fileId: call.promptFile.id,
      prompt,
      marks,
    };
  }

  beforeAll(async () => {
    s = await startTestServer();
    for (const p of [await createProject(s), await createProject(s)]) projects.push(await activity(p));
  });
  afterAll(() => s.stop());

  const leaks = (payload: unknown, other: Project) => {
    const text = JSON.stringify(payload);
    return other.marks.filter((m) => text.includes(m));
  };

  it("lets no HTTP root field's nested path reach the other project's rows", async () => {
    const all = cells(schema.getQueryType()!, 'query');
    let run = 0;
    const skipped = new Set<string>();
    const found: string[] = [];
    const queries: { query: string; own: Project; other: Project }[] = [];
    for (const [own, other] of [
      [projects[0]!, projects[1]!],
      [projects[1]!, projects[0]!],
    ] as const) {
      for (const cell of all) {
        const args = rootArgs(schema.getQueryType()!.getFields()[cell.root]!, own);
        if (args === null) {
          skipped.add(cell.root);
          continue;
        }
        queries.push({ query: `{ ${cell.root}${args}${cell.selection ? ` { ${cell.selection} }` : ''} }`, own, other });
      }
    }
    // A few requests at a time: the matrix is large and the machine is shared.
    const next = queries.values();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (const { query, own, other } of next) {
          const res = await s.gql(query, {}, { authorization: `Bearer ${own.secret}` });
          run++;
          const codes = (res.errors ?? []).map((e) => e.extensions?.code);
          if (codes.some((c) => c !== 'NOT_FOUND' && c !== 'BAD_USER_INPUT'))
            throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
          for (const m of leaks(res, other)) found.push(`${query} -> ${m}`);
        }
      }),
    );
    console.log(
      `nested matrix, HTTP: ${run} cells (${all.length} paths x 2 keys); root fields skipped: ${[...skipped].join(', ') || 'none'}`,
    );
    expect(found).toEqual([]);
    expect(skipped.size).toBe(0);
  }, 600_000);

  it("lets no subscription's nested path reach the other project's rows, while both projects work", async () => {
    const all = cells(schema.getSubscriptionType()!, 'subscription');
    const found: string[] = [];
    const streams: { own: Project; other: Project; query: string; sub: Received<unknown> }[] = [];
    const clients = [];
    for (const [own, other] of [
      [projects[0]!, projects[1]!],
      [projects[1]!, projects[0]!],
    ] as const) {
      // claimedStep claims, so it needs a WRITER key; every other subscription reads.
      for (const [secret, mine] of [
        [own.secret, all.filter((c) => c.root !== 'claimedStep')],
        [own.writerSecret, all.filter((c) => c.root === 'claimedStep')],
      ] as const) {
        // A socket holds at most WS_MAX_SUBSCRIPTIONS_PER_SOCKET (100) subscriptions: a new one per 90 cells.
        let client = wsClient(s.url, { connectionParams: { authorization: `Bearer ${secret}` } });
        clients.push(client);
        for (const [i, cell] of mine.entries()) {
          if (i > 0 && i % 90 === 0) {
            client = wsClient(s.url, { connectionParams: { authorization: `Bearer ${secret}` } });
            clients.push(client);
          }
          const args = rootArgs(schema.getSubscriptionType()!.getFields()[cell.root]!, own);
          if (args === null) throw new Error(`cannot supply the arguments of ${cell.root}`);
          const query = `subscription { ${cell.root}${args}${cell.selection ? ` { ${cell.selection} }` : ''} }`;
          streams.push({ own, other, query, sub: collect(client, query) });
        }
      }
    }
    // runGroupProgress has no bus listener of its own; the claimedStep cells of a project share one.
    const claimed = all.filter((c) => c.root === 'claimedStep').length;
    const listening = () =>
      s.server.bus.listenerCount >=
      streams.length - 2 * all.filter((c) => c.root === 'runGroupProgress').length - 2 * claimed + (claimed ? 2 : 0);
    for (let i = 0; !listening() && i < 2000; i++) await new Promise((r) => setTimeout(r, 10));
    // Both projects work with the same worker name: complete the claimed step (the next one
    // becomes claimable), claim it, report an error.
    for (const p of projects) {
      await setStatus(s, p.stepId, 'COMPLETED', { workerId: WORKER });
      const next = (await claim(s, WORKER, { projectId: p.id }))!;
      await setStatus(s, next.id, 'ERROR', { workerId: WORKER });
      // Claimed again and cancelled by an operator (naming no worker: the holder's own cancel
      // sends nothing): the worker's stepsRevoked hears of it.
      const again = (await claim(s, WORKER, { projectId: p.id }))!;
      await setStatus(s, again.id, 'CANCELLED', { workerId: null });
    }
    for (const { query, sub, other } of streams) {
      await sub.waitFor(1, 30_000);
      if (sub.values.length === 0) throw new Error(`no payload for ${query}: ${JSON.stringify(sub.errors)}`);
      for (const m of leaks([sub.values, sub.errors], other)) found.push(`${query} -> ${m}`);
    }
    for (const c of clients) await c.dispose();
    console.log(`nested matrix, WebSocket: ${streams.length} cells (${all.length} paths x 2 keys)`);
    expect(found).toEqual([]);
  }, 300_000);
});
