import { armFailpoint, disarmFailpoints } from '../../src/services/failpoints';
import { b64, claim, createBatch, createProject, must, startRunGroup, tableCounts } from '../helpers/api';
import { sha256 } from '../helpers/factories';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { graphql } from '../__generated__';
import type { RecordLlmCallInput } from '../__generated__/graphql';

const RECORD = graphql(`
  mutation RecordLlmCallWithFiles($i: RecordLlmCallInput!) {
    recordLlmCall(input: $i) {
      id
      provider
      model
      operation
      promptTokens
      completionTokens
      totalTokens
      usageDetails
      costUsd
      latencyMs
      status
      errorMessage
      project {
        id
      }
      run {
        id
      }
      step {
        id
      }
      promptFile {
        path
        kind
        sizeBytes
        checksum
        content
      }
      responseFile {
        path
        kind
        content
      }
    }
  }
`);
const STORE = graphql(`
  mutation StoreFileForSpec($i: StoreFileInput!) {
    storeFile(input: $i) {
      id
      path
      kind
      sizeBytes
      checksum
      mimeType
      content(encoding: BASE64)
    }
  }
`);
const DELETE_URI = graphql(`
  mutation DeleteDocumentUriForSpec($i: DeleteDocumentUriInput!, $dry: Boolean) {
    deleteDocumentUri(input: $i, dryRun: $dry) {
      dryRun
      deletedRuns
      deletedSteps
      deletedEvents
      deletedLlmCalls
      deletedFiles
      deletedDocumentUris
      deletedDocuments
      totalDeleted
    }
  }
`);

describe('LLM calls, files and deletes (pool of one connection)', () => {
  let s: TestServer;
  let project: { id: string };
  let step: { id: string; run: { id: string } };
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 1 });
    project = await createProject(s);
    const batch = await createBatch(s, project.id, 2);
    await startRunGroup(s, batch.id);
    step = (await claim(s, 'w', { projectId: project.id }))!;
  });
  afterAll(() => s.stop());
  afterEach(() => disarmFailpoints());

  // A valid call; `extra` overrides it, with values the schema may refuse (what the tests check).
  const call = (extra: Partial<Record<keyof RecordLlmCallInput, unknown>> = {}): RecordLlmCallInput => ({
    stepId: step.id,
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'CHAT',
    prompt: 'Summarise: é',
    response: 'Résumé',
    promptTokens: 12,
    completionTokens: 4,
    usageDetails: { cachedPromptTokens: 8 },
    costUsd: 0.0021,
    latencyMs: 850,
    status: 'SUCCESS',
    ...(extra as Partial<RecordLlmCallInput>),
  });

  it('records the call, then its prompt and response under the call id; run and project come from the step', async () => {
    const c = (await must(s, RECORD, { i: call() })).recordLlmCall;
    expect(c).toMatchObject({
      totalTokens: 16,
      usageDetails: { cachedPromptTokens: 8 },
      costUsd: 0.0021,
      project: { id: project.id },
      run: { id: step.run.id },
      step: { id: step.id },
    });
    expect(c.promptFile).toEqual({
      path: `llm-calls/${c.id}/prompt.txt`,
      kind: 'PROMPT',
      sizeBytes: Buffer.byteLength('Summarise: é'),
      checksum: sha256('Summarise: é'),
      content: 'Summarise: é',
    });
    expect(c.responseFile).toEqual({ path: `llm-calls/${c.id}/response.txt`, kind: 'RESPONSE', content: 'Résumé' });
  });

  it('records a failed call without a response, and a call of a run without a step', async () => {
    const failed = (
      await must(s, RECORD, {
        i: call({ response: null, status: 'ERROR', errorMessage: 'rate limited', completionTokens: null }),
      })
    ).recordLlmCall;
    expect(failed).toMatchObject({
      status: 'ERROR',
      errorMessage: 'rate limited',
      totalTokens: 12,
      responseFile: null,
    });
    const runOnly = (await must(s, RECORD, { i: call({ stepId: null, runId: step.run.id }) })).recordLlmCall;
    expect(runOnly).toMatchObject({ run: { id: step.run.id }, step: null });
  });

  it.each([
    ['negative tokens', { promptTokens: -1 }, 'promptTokens'],
    ['negative cost', { costUsd: -0.5 }, 'costUsd'],
    ['negative latency', { latencyMs: -3 }, 'latencyMs'],
    ['no step and no run', { stepId: null }, 'stepId'],
    ["a run that is not the step's", { runId: '00000000-0000-4000-8000-000000000000' }, 'runId'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_n, extra, field) => {
    const before = await tableCounts(s);
    const res = await s.gql(RECORD, { i: call(extra) });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions!.field).toBe(field);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('leaves no call and no files behind when the transaction fails after the files were written', async () => {
    const before = await tableCounts(s);
    armFailpoint('recordLlmCall.afterFiles');
    expect(errorCodes(await s.gql(RECORD, { i: call() }))).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('replays recordLlmCall with the same idempotency key', async () => {
    const first = (await must(s, RECORD, { i: call({ idempotencyKey: 'llm-1' }) })).recordLlmCall;
    const before = await tableCounts(s);
    const again = (await must(s, RECORD, { i: call({ idempotencyKey: 'llm-1' }) })).recordLlmCall;
    expect(again.id).toBe(first.id);
    expect(await tableCounts(s)).toEqual(before);
    expect(errorCodes(await s.gql(RECORD, { i: call({ idempotencyKey: 'llm-1', model: 'other' }) }))).toEqual([
      'CONFLICT',
    ]);
  });

  it('storeFile keeps bytes under exactly one owner, at a path under the owner id', async () => {
    const bytes = Buffer.from([0, 1, 2, 250]);
    const f = (
      await must(s, STORE, {
        i: {
          runId: step.run.id,
          kind: 'LOG',
          content: bytes.toString('base64'),
          encoding: 'BASE64',
          mimeType: 'application/octet-stream',
        },
      })
    ).storeFile;
    expect(f).toMatchObject({ kind: 'LOG', sizeBytes: 4, checksum: sha256(bytes), content: bytes.toString('base64') });
    expect(f.path).toBe(`runs/${step.run.id}/log/${f.id}`);
    const text = (await must(s, STORE, { i: { stepId: step.id, kind: 'PARSED_MARKDOWN', content: '# Title' } }))
      .storeFile;
    expect(text.path).toBe(`steps/${step.id}/parsed-markdown/${text.id}`);
    const before = await tableCounts(s);
    expect(
      errorCodes(await s.gql(STORE, { i: { runId: step.run.id, stepId: step.id, kind: 'LOG', content: 'x' } })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await s.gql(STORE, { i: { kind: 'LOG', content: 'x' } }))).toEqual(['BAD_USER_INPUT']);
    expect(
      errorCodes(
        await s.gql(STORE, { i: { runId: '00000000-0000-4000-8000-000000000000', kind: 'LOG', content: 'x' } }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('deleteDocumentUri deletes only the URI while another URI points at the document, then the document and its runs', async () => {
    const p = await createProject(s);
    const batch = (
      await must(s, `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
        i: {
          projectId: p.id,
          name: 'd',
          source: 'fs',
          documents: [
            { uri: '/one', content: b64('shared bytes'), mimeType: 'text/plain' },
            { uri: '/two', content: b64('shared bytes'), mimeType: 'text/plain' },
          ],
        },
      })
    ).createBatch;
    await startRunGroup(s, batch.id);
    const st = await claim(s, 'wd', { projectId: p.id });
    await must(s, RECORD, { i: call({ stepId: st!.id }) });

    const before = await tableCounts(s);
    const onlyUri = (await must(s, DELETE_URI, { i: { projectId: p.id, source: 'fs', uri: '/one' } }))
      .deleteDocumentUri;
    expect(onlyUri).toEqual({
      dryRun: false,
      deletedRuns: 0,
      deletedSteps: 0,
      deletedEvents: 0,
      deletedLlmCalls: 0,
      deletedFiles: 0,
      deletedDocumentUris: 1,
      deletedDocuments: 0,
      totalDeleted: 1,
    });
    const afterFirst = await tableCounts(s);
    expect(afterFirst.document).toBe(before.document);
    expect(before.document_uri_version - afterFirst.document_uri_version).toBe(1);

    const dry = (await must(s, DELETE_URI, { i: { projectId: p.id, source: 'fs', uri: '/two' }, dry: true }))
      .deleteDocumentUri;
    // 1 run x 3 steps; STEP_START + ITEM_START; one call with 2 files + the document's own file.
    expect(dry).toEqual({
      dryRun: true,
      deletedRuns: 1,
      deletedSteps: 3,
      deletedEvents: 2,
      deletedLlmCalls: 1,
      deletedFiles: 3,
      deletedDocumentUris: 1,
      deletedDocuments: 1,
      totalDeleted: 12,
    });
    expect(await tableCounts(s)).toEqual(afterFirst);
    const real = (await must(s, DELETE_URI, { i: { projectId: p.id, source: 'fs', uri: '/two' } })).deleteDocumentUri;
    expect(real).toEqual({ ...dry, dryRun: false });
    const after = await tableCounts(s);
    expect(afterFirst.document - after.document).toBe(1);
    expect(afterFirst.step - after.step).toBe(3);
    expect(afterFirst.stored_file - after.stored_file).toBe(3);
    expect(errorCodes(await s.gql(DELETE_URI, { i: { projectId: p.id, source: 'fs', uri: '/two' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });
});
