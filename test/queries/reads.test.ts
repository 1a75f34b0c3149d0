import { sequenceLog } from '../../src/events/sequencer';
import { makeBatch, makeDocuments, makeProject, makeRunGroup, makeWorker, sha256 } from '../helpers/factories';
import type { ResultOf } from '@graphql-typed-document-node/core';
import { errorCodes, startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { graphql } from '../__generated__';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('reading through GraphQL', () => {
  let s: TestServer;
  let project: { id: string; slug: string };
  let other: { id: string };
  let batch: { id: string };
  let fixture: Awaited<ReturnType<typeof makeRunGroup>>;
  let staleWorker: string;
  let freshWorker: string;

  beforeAll(async () => {
    s = await startTestServer();
    project = await makeProject(s.db, { slug: 'reads' });
    other = await makeProject(s.db, { slug: 'other' });
    batch = await makeBatch(s.db, project.id, { source: 'sharepoint', params: { dept: 'finance' } });
    await makeBatch(s.db, project.id, { source: 'fs', completedAt: new Date() });
    freshWorker = await makeWorker(s.db, project.id, 'fresh-worker', 5);
    staleWorker = await makeWorker(s.db, project.id, 'stale-worker', 3600);
    fixture = await makeRunGroup(s.db, {
      projectId: project.id,
      batchId: batch.id,
      runs: 3,
      stepsPerRun: 2,
      llmCallsPerStep: 2,
      workerId: freshWorker,
    });
    await s
      .db('step')
      .where({ id: fixture.steps[0]!.id })
      .update({ status: 'RUNNING', startedAt: s.db.raw(`now() - interval '90 seconds'`), completedAt: s.db.fn.now() });
    await s.db('run').where({ id: fixture.runs[0]!.id }).update({ status: 'COMPLETED' });
    await s.db('lifecycle_event').insert(
      fixture.runs.map((r, i) => ({
        projectId: project.id,
        type: 'ITEM_START',
        batchId: batch.id,
        runGroupId: fixture.group.id,
        runId: r.id,
        status: 'RUNNING',
        statusMeta: { i },
      })),
    );
    // Written straight into the table: numbered in the log as a service's events would be.
    await sequenceLog(s.db);
    await makeRunGroup(s.db, { projectId: other.id, runs: 1, stepsPerRun: 1, llmCallsPerStep: 1 });
  });
  afterAll(() => s.stop());

  describe('single objects by id', () => {
    it.each([
      ['project', 'Project', () => project.id],
      ['batch', 'Batch', () => batch.id],
      ['document', 'Document', () => fixture.docs[0]!.id],
      ['runGroup', 'RunGroup', () => fixture.group.id],
      ['run', 'Run', () => fixture.runs[0]!.id],
      ['step', 'Step', () => fixture.steps[0]!.id],
      ['llmCall', 'LlmCall', () => fixture.llmCalls[0]!.id],
    ])(
      '%s(id) returns the row, NOT_FOUND for an unknown id, BAD_USER_INPUT for a malformed one',
      async (field, type, id) => {
        const query = `query ($id: ID!) { ${field}(id: $id) { __typename id } }`;
        const found = await s.gql(query, { id: id() });
        expect(found.data[field]).toEqual({ __typename: type, id: id() });

        const missing = await s.gql(query, { id: MISSING });
        expect(missing.data).toEqual({ [field]: null });
        expect(errorCodes(missing)).toEqual(['NOT_FOUND']);

        const malformed = await s.gql(query, { id: 'not-a-uuid' });
        expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
        expect(malformed.errors![0]!.message).toMatch(/must be a UUID/);
      },
    );

    it('storedFile(id) returns metadata, and content only on demand, cut at maxBytes, in either encoding', async () => {
      const file = await s.db('stored_file').where({ llmCallId: fixture.llmCalls[0]!.id, kind: 'PROMPT' }).first();
      const res = await s.gql(
        `query ($id: ID!) { storedFile(id: $id) { kind path sizeBytes checksum mimeType utf8: content b64: content(encoding: BASE64) cut: content(maxBytes: 3) } }`,
        { id: file.id },
      );
      expect(res.data.storedFile).toEqual({
        kind: 'PROMPT',
        path: `llm-calls/${fixture.llmCalls[0]!.id}/prompt.txt`,
        sizeBytes: 6,
        checksum: sha256('prompt'),
        mimeType: 'text/plain',
        utf8: 'prompt',
        b64: Buffer.from('prompt').toString('base64'),
        cut: 'pro',
      });
      expect(errorCodes(await s.gql(`{ storedFile(id: "${MISSING}") { id } }`))).toEqual(['NOT_FOUND']);
      expect(
        errorCodes(await s.gql(`query ($id: ID!) { storedFile(id: $id) { content(maxBytes: -1) } }`, { id: file.id })),
      ).toEqual(['BAD_USER_INPUT']);
    });

    it('content(maxBytes) never returns half a UTF-8 character', async () => {
      const text = 'zürich €';
      const [row] = await s
        .db('stored_file')
        .insert({
          projectId: project.id,
          runId: fixture.runs[1]!.id,
          kind: 'LOG',
          path: `runs/${fixture.runs[1]!.id}/log.txt`,
          sizeBytes: Buffer.byteLength(text),
          checksum: sha256(text),
          content: Buffer.from(text),
        })
        .returning('id');
      const res = await s.gql(
        `query ($id: ID!) { storedFile(id: $id) { a: content(maxBytes: 2) b: content(maxBytes: 3) c: content(maxBytes: 9) } }`,
        { id: row.id },
      );
      expect(res.data.storedFile).toEqual({ a: 'z', b: 'zü', c: 'zürich ' });
    });

    it('documentByHash and documentByUri find the document, NOT_FOUND otherwise, and check the hash format', async () => {
      const doc = fixture.docs[1]!;
      const byHash = await s.gql(
        `query ($p: ID!, $h: String!) { documentByHash(projectId: $p, hash: $h) { id hash } }`,
        { p: project.id, h: doc.hash },
      );
      expect(byHash.data.documentByHash).toEqual({ id: doc.id, hash: doc.hash });
      const byUri = await s.gql(
        `query ($p: ID!, $u: String!) { documentByUri(projectId: $p, source: "fs", uri: $u) { id } }`,
        { p: project.id, u: doc.uri },
      );
      expect(byUri.data.documentByUri).toEqual({ id: doc.id });

      expect(
        errorCodes(
          await s.gql(`query ($p: ID!) { documentByHash(projectId: $p, hash: "sha256-${'0'.repeat(64)}") { id } }`, {
            p: project.id,
          }),
        ),
      ).toEqual(['NOT_FOUND']);
      expect(
        errorCodes(
          await s.gql(`query ($p: ID!) { documentByHash(projectId: $p, hash: "md5-123") { id } }`, { p: project.id }),
        ),
      ).toEqual(['BAD_USER_INPUT']);
      expect(
        errorCodes(
          await s.gql(`query ($p: ID!) { documentByUri(projectId: $p, source: "fs", uri: "/nope") { id } }`, {
            p: project.id,
          }),
        ),
      ).toEqual(['NOT_FOUND']);
      // The same hash in another project is another project's document.
      expect(
        errorCodes(
          await s.gql(`query ($p: ID!, $h: String!) { documentByHash(projectId: $p, hash: $h) { id } }`, {
            p: other.id,
            h: doc.hash,
          }),
        ),
      ).toEqual(['NOT_FOUND']);
    });
  });

  describe('connections', () => {
    it('page with opaque keyset cursors until the end, every row once', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const res: GraphQLResponse<ResultOf<typeof RunsPage>> = await s.gql(RunsPage, { after });
        expect(res).toSucceed();
        const conn = res.data!.runs;
        expect(conn.totalCount).toBe(4);
        seen.push(...conn.edges.map((e) => e.node.id));
        expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
        expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1]?.cursor ?? null);
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(seen).toHaveLength(4);
      expect(new Set(seen).size).toBe(4);
    });

    it('default to 20 and refuse first above 100, negative first and bad cursors with BAD_USER_INPUT', async () => {
      expect(errorCodes(await s.gql(`{ runs(first: 1000) { totalCount } }`))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await s.gql(`{ runs(first: -1) { totalCount } }`))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await s.gql(`{ runs(after: "garbage") { totalCount } }`))).toEqual(['BAD_USER_INPUT']);
      const eventCursor = (await s.gql(`{ lifecycleEvents(first: 1) { nodes { cursor } } }`)).data.lifecycleEvents
        .nodes[0].cursor;
      // A cursor of another list's kind is refused too.
      expect(
        errorCodes(await s.gql(`query ($a: String) { runs(after: $a) { totalCount } }`, { a: eventCursor })),
      ).toEqual(['BAD_USER_INPUT']);
      const nested = await s.gql(`query ($id: ID!) { runGroup(id: $id) { runs(first: 101) { totalCount } } }`, {
        id: fixture.group.id,
      });
      expect(errorCodes(nested)).toEqual(['BAD_USER_INPUT']);
    });

    it('projects, batches and run groups list with their filters', async () => {
      const res = await s.gql(ListsWithFilters, { p: project.id, b: batch.id });
      expect(res).toSucceed();
      const data = res.data!;
      expect(data.projects.nodes.map((p) => p.slug)).toEqual(['reads', 'other']);
      expect(data.open).toEqual({
        totalCount: 1,
        nodes: [{ id: batch.id, source: 'sharepoint', params: { dept: 'finance' } }],
      });
      expect(data.done.totalCount).toBe(1);
      expect(data.done.nodes[0]!.duration).toEqual(expect.any(Number));
      expect(data.bySource.totalCount).toBe(1);
      expect(data.runGroups).toEqual({ totalCount: 1, nodes: [{ id: fixture.group.id, status: 'PENDING' }] });
      expect(data.none).toEqual({ totalCount: 0, nodes: [] });
    });

    it('runs filter by project, group, batch, document and status', async () => {
      const res = await s.gql(RunsWithFilters, { g: fixture.group.id, d: fixture.docs[2]!.id, o: other.id });
      expect(res.data).toEqual({
        byGroup: { totalCount: 3 },
        byDoc: { nodes: [{ id: fixture.runs[2]!.id }] },
        done: { totalCount: 1 },
        other: { totalCount: 1 },
      });
      expect(errorCodes(await s.gql(`{ runs(filter: { runGroupId: "x" }) { totalCount } }`))).toEqual([
        'BAD_USER_INPUT',
      ]);
    });

    it('llmCalls filter by run group, run, step, model and time', async () => {
      const res = await s.gql(LlmCallsWithFilters, {
        g: fixture.group.id,
        r: fixture.runs[0]!.id,
        st: fixture.steps[0]!.id,
      });
      expect(res).toSucceed();
      const data = res.data!;
      expect(data.all.totalCount).toBe(13);
      expect(data.group.totalCount).toBe(12);
      expect(data.run.totalCount).toBe(4);
      expect(data.step).toEqual({
        totalCount: 1,
        nodes: [
          {
            model: 'gpt-4o',
            promptTokens: 10,
            completionTokens: 5,
            totalTokens: 15,
            costUsd: 0.001,
            latencyMs: 101,
            status: 'SUCCESS',
          },
        ],
      });
      expect(data.future.totalCount).toBe(0);
      expect(data.past.totalCount).toBe(13);
    });

    it('lifecycleEvents filter by run group and run and page by cursor', async () => {
      const res = await s.gql(EventsWithFilters, { g: fixture.group.id, r: fixture.runs[1]!.id });
      expect(res).toSucceed();
      const data = res.data!;
      expect(data.group.totalCount).toBe(3);
      expect(data.group.pageInfo.hasNextPage).toBe(true);
      expect(data.group.nodes[0]).toMatchObject({
        type: 'ITEM_START',
        status: 'RUNNING',
        statusMeta: { i: 0 },
        runGroup: { id: fixture.group.id },
        run: { id: fixture.runs[0]!.id },
        step: null,
      });
      expect(data.run.totalCount).toBe(1);
      expect(data.parse.totalCount).toBe(0);
      const next = await s.gql(EventsAfter, { g: fixture.group.id, a: data.group.pageInfo.endCursor });
      expect(next).toSucceed();
      expect(next.data!.lifecycleEvents.nodes).toEqual([{ statusMeta: { i: 2 } }]);
    });
  });

  describe('nested objects', () => {
    it('a run group shows its progress, runs, batch, events and durations', async () => {
      const res = await s.gql(RunGroupDetail, { id: fixture.group.id });
      expect(res).toSucceed();
      const g = res.data!.runGroup!;
      expect(g).toMatchObject({
        project: { slug: 'reads' },
        batch: { id: batch.id },
        workflowDefinitionId: 'wf',
        status: 'PENDING',
        statusMeta: {},
        duration: null,
      });
      expect(g.progress).toEqual({
        total: 3,
        pending: 2,
        running: 0,
        completed: 1,
        error: 0,
        failed: 0,
        cancelled: 0,
        fractionDone: 1 / 3,
      });
      expect(g.events.totalCount).toBe(3);
      expect(g.runs.totalCount).toBe(2);
      expect(g.runs.nodes[0]).toEqual({
        status: 'PENDING',
        runGroup: { id: fixture.group.id },
        batch: { id: batch.id },
        project: { slug: 'reads' },
        params: {},
      });
      expect(new Date(g.createdAt).toISOString()).toBe(g.createdAt);
    });

    it('a step shows its run, worker, timing, LLM calls with files, and version', async () => {
      const res = await s.gql(StepDetail, { id: fixture.steps[0]!.id });
      expect(res).toSucceed();
      const st = res.data!.step!;
      expect(st).toMatchObject({
        number: 1,
        name: 'step-1',
        type: 'PARSE',
        status: 'RUNNING',
        retry: 0,
        maxRetries: 0,
        isLastStep: false,
        version: 1,
        config: null,
        files: [],
      });
      expect(st.duration).toBeCloseTo(90, 0);
      expect(st.run.steps).toEqual([{ number: 1 }, { number: 2 }]);
      expect(st.run.llmCalls.totalCount).toBe(4);
      expect(st.run.llmCalls.nodes).toHaveLength(1);
      expect(st.run.document.id).toBe(fixture.docs[0]!.id);
      expect(st.worker).toEqual({
        id: freshWorker,
        isStale: false,
        activeSteps: [{ id: fixture.steps[0]!.id }],
        stale: true,
      });
      expect(st.llmCalls).toHaveLength(2);
      const call = st.llmCalls[0]!;
      expect(call.promptFile!.path).toMatch(/^llm-calls\/.+\/prompt\.txt$/);
      expect(call.responseFile!.content).toBe('response');
      expect(call).toMatchObject({
        provider: 'openai',
        operation: 'CHAT',
        usageDetails: {},
        params: {},
        run: { id: fixture.runs[0]!.id },
        step: { id: fixture.steps[0]!.id },
        project: { slug: 'reads' },
      });
    });

    it('a document shows its URIs with history, its runs and its files', async () => {
      const doc = fixture.docs[0]!;
      const res = await s.gql(DocumentDetail, { id: doc.id });
      expect(res).toSucceed();
      const document = res.data!.document!;
      expect(document).toMatchObject({
        hash: doc.hash,
        mimeType: 'text/plain',
        fileSize: 10,
        meta: {},
        project: { slug: 'reads' },
        files: [],
      });
      expect(document.uris).toEqual([
        {
          uri: doc.uri,
          source: 'fs',
          version: 1,
          batch: { id: batch.id },
          document: { id: doc.id },
          history: [
            {
              version: 1,
              hash: doc.hash,
              action: 'CREATED',
              processedAt: expect.any(String),
              batch: { id: batch.id },
              meta: {},
            },
          ],
        },
      ]);
      expect(document.runs).toEqual({ totalCount: 1, nodes: [{ id: fixture.runs[0]!.id }] });
      expect(document.done.totalCount).toBe(1);
    });

    it('a batch shows its documents, run groups and stats computed by the database', async () => {
      const extra = await makeDocuments(s.db, project.id, batch.id, 2);
      const res = await s.gql(BatchDetail, { id: batch.id });
      expect(res).toSucceed();
      const b = res.data!.batch!;
      expect(b.documents.totalCount).toBe(3 + extra.length);
      expect(b.documents.pageInfo.hasNextPage).toBe(true);
      expect(b.runGroups).toEqual({ totalCount: 1, nodes: [{ id: fixture.group.id }] });
      expect(b.stats).toEqual({
        documentCount: 5,
        runCount: 3,
        runsByStatus: [
          { status: 'COMPLETED', count: 1 },
          { status: 'PENDING', count: 2 },
        ],
      });
      expect(b.completedAt).toBeNull();
      expect(b.duration).toBeNull();
    });

    it('a project lists its batches, filtered', async () => {
      const res = await s.gql(ProjectDetail, { id: project.id });
      expect(res).toSucceed();
      expect(res.data!.project).toMatchObject({
        slug: 'reads',
        batches: { totalCount: 2 },
        open: { totalCount: 1, nodes: [{ id: batch.id }] },
      });
    });
  });

  describe('aggregates', () => {
    it('llmUsage groups in the database, with percentiles', async () => {
      const res = await s.gql(LlmUsageGroupings, { g: fixture.group.id });
      expect(res).toSucceed();
      const data = res.data!;
      const mini = data.byModel.find((u) => u.key === 'gpt-4o-mini');
      expect(mini).toEqual({
        key: 'gpt-4o-mini',
        calls: 7,
        errors: 0,
        promptTokens: 70,
        completionTokens: 35,
        totalTokens: 105,
        costUsd: expect.closeTo(0.007, 6),
        latencyMsP50: 100,
        latencyMsP95: 100,
      });
      expect(data.byGroup).toEqual([{ key: fixture.group.id, calls: 12 }]);
      expect(data.byDay).toEqual([{ key: new Date().toISOString().slice(0, 10), calls: 13 }]);
      expect(data.byProvider).toEqual([{ key: 'openai', calls: 13 }]);
      expect(data.byOperation).toEqual([{ key: 'CHAT', calls: 6 }]);
    });

    it('workers report staleness by the database clock and can be filtered by it', async () => {
      const res = await s.gql(WorkersByStaleness);
      expect(res).toSucceed();
      expect(res.data!.all).toEqual([
        { id: freshWorker, isStale: false },
        { id: staleWorker, isStale: true },
      ]);
      expect(res.data!.stale).toEqual([{ id: staleWorker }]);
      expect(errorCodes(await s.gql(`{ workers(staleAfterSeconds: -5) { id } }`))).toEqual(['BAD_USER_INPUT']);
    });
  });
});

// The specifications' operations, typed by codegen (test/__generated__): a field that does not
// exist, or an assertion on one not selected, fails `npm run typecheck`.
const RunsPage = graphql(`
  query RunsPage($after: String) {
    runs(first: 2, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          id
        }
      }
    }
  }
`);

const ListsWithFilters = graphql(`
  query ListsWithFilters($p: ID!, $b: ID!) {
    projects {
      totalCount
      nodes {
        slug
      }
    }
    open: batches(filter: { projectId: $p, completed: false }) {
      totalCount
      nodes {
        id
        source
        params
      }
    }
    done: batches(filter: { projectId: $p, completed: true }) {
      totalCount
      nodes {
        source
        completedAt
        duration
      }
    }
    bySource: batches(filter: { source: "sharepoint" }) {
      totalCount
    }
    runGroups(filter: { batchId: $b, status: [PENDING] }) {
      totalCount
      nodes {
        id
        status
      }
    }
    none: runGroups(filter: { batchId: $b, status: [FAILED] }) {
      totalCount
      nodes {
        id
      }
    }
  }
`);

const RunsWithFilters = graphql(`
  query RunsWithFilters($g: ID!, $d: ID!, $o: ID!) {
    byGroup: runs(filter: { runGroupId: $g }) {
      totalCount
    }
    byDoc: runs(filter: { documentId: $d }) {
      nodes {
        id
      }
    }
    done: runs(filter: { runGroupId: $g, status: [COMPLETED] }) {
      totalCount
    }
    other: runs(filter: { projectId: $o }) {
      totalCount
    }
  }
`);

const LlmCallsWithFilters = graphql(`
  query LlmCallsWithFilters($g: ID!, $r: ID!, $st: ID!) {
    all: llmCalls {
      totalCount
    }
    group: llmCalls(filter: { runGroupId: $g }) {
      totalCount
    }
    run: llmCalls(filter: { runId: $r }) {
      totalCount
    }
    step: llmCalls(filter: { stepId: $st, model: "gpt-4o" }) {
      totalCount
      nodes {
        model
        promptTokens
        completionTokens
        totalTokens
        costUsd
        latencyMs
        status
      }
    }
    future: llmCalls(filter: { since: "2999-01-01T00:00:00Z" }) {
      totalCount
    }
    past: llmCalls(filter: { until: "2999-01-01T00:00:00Z" }) {
      totalCount
    }
  }
`);

const EventsWithFilters = graphql(`
  query EventsWithFilters($g: ID!, $r: ID!) {
    group: lifecycleEvents(filter: { runGroupId: $g }, first: 2) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        type
        status
        statusMeta
        runGroup {
          id
        }
        run {
          id
        }
        step {
          id
        }
      }
    }
    run: lifecycleEvents(filter: { runId: $r }) {
      totalCount
    }
    parse: lifecycleEvents(filter: { stepTypes: [PARSE] }) {
      totalCount
    }
  }
`);

const EventsAfter = graphql(`
  query EventsAfter($g: ID!, $a: String) {
    lifecycleEvents(filter: { runGroupId: $g }, after: $a) {
      nodes {
        statusMeta
      }
    }
  }
`);

const RunGroupDetail = graphql(`
  query RunGroupDetail($id: ID!) {
    runGroup(id: $id) {
      project {
        slug
      }
      batch {
        id
      }
      workflowDefinitionId
      status
      statusMeta
      createdAt
      duration
      progress {
        total
        pending
        running
        completed
        error
        failed
        cancelled
        fractionDone
      }
      events(first: 10) {
        totalCount
      }
      runs(first: 2, filter: { status: [PENDING] }) {
        totalCount
        nodes {
          status
          runGroup {
            id
          }
          batch {
            id
          }
          project {
            slug
          }
          params
        }
      }
    }
  }
`);

const StepDetail = graphql(`
  query StepDetail($id: ID!) {
    step(id: $id) {
      number
      name
      type
      status
      retry
      maxRetries
      isLastStep
      version
      duration
      config {
        id
      }
      run {
        id
        steps {
          number
        }
        llmCalls(first: 1) {
          totalCount
          nodes {
            id
          }
        }
        events {
          totalCount
        }
        files {
          id
        }
        document {
          id
        }
      }
      worker {
        id
        isStale
        activeSteps {
          id
        }
        stale: isStale(afterSeconds: 1)
      }
      llmCalls {
        provider
        operation
        usageDetails
        params
        promptFile {
          path
        }
        responseFile {
          path
          content(maxBytes: 1000)
        }
        run {
          id
        }
        step {
          id
        }
        project {
          slug
        }
      }
      files {
        id
      }
    }
  }
`);

const DocumentDetail = graphql(`
  query DocumentDetail($id: ID!) {
    document(id: $id) {
      hash
      mimeType
      fileSize
      meta
      project {
        slug
      }
      uris(first: 5) {
        uri
        source
        version
        batch {
          id
        }
        document {
          id
        }
        history(first: 10) {
          version
          hash
          action
          processedAt
          batch {
            id
          }
          meta
        }
      }
      runs {
        totalCount
        nodes {
          id
        }
      }
      done: runs(filter: { status: [COMPLETED] }) {
        totalCount
      }
      files {
        id
      }
    }
  }
`);

const BatchDetail = graphql(`
  query BatchDetail($id: ID!) {
    batch(id: $id) {
      name
      source
      startedAt
      completedAt
      duration
      project {
        slug
      }
      documents(first: 2) {
        totalCount
        nodes {
          uri
        }
        pageInfo {
          hasNextPage
        }
      }
      runGroups {
        totalCount
        nodes {
          id
        }
      }
      stats {
        documentCount
        runCount
        runsByStatus {
          status
          count
        }
      }
    }
  }
`);

const ProjectDetail = graphql(`
  query ProjectDetail($id: ID!) {
    project(id: $id) {
      slug
      name
      createdAt
      batches {
        totalCount
      }
      open: batches(filter: { completed: false }) {
        totalCount
        nodes {
          id
        }
      }
    }
  }
`);

const LlmUsageGroupings = graphql(`
  query LlmUsageGroupings($g: ID!) {
    byModel: llmUsage(groupBy: MODEL) {
      key
      calls
      errors
      promptTokens
      completionTokens
      totalTokens
      costUsd
      latencyMsP50
      latencyMsP95
    }
    byGroup: llmUsage(groupBy: RUN_GROUP, filter: { runGroupId: $g }) {
      key
      calls
    }
    byDay: llmUsage(groupBy: DAY) {
      key
      calls
    }
    byProvider: llmUsage(groupBy: PROVIDER) {
      key
      calls
    }
    byOperation: llmUsage(groupBy: OPERATION, filter: { model: "gpt-4o" }) {
      key
      calls
    }
  }
`);

const WorkersByStaleness = graphql(`
  query WorkersByStaleness {
    all: workers {
      id
      isStale
    }
    stale: workers(staleAfterSeconds: 600) {
      id
    }
  }
`);
