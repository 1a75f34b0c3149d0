import { armFailpoint, disarmFailpoints } from '../../src/services/failpoints';
import { STEPS, claim, createBatch, createProject, must, setStatus, startRunGroup, tableCounts } from '../helpers/api';
import { makeDocuments } from '../helpers/factories';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

const START = `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id status name priority params batch { id }
  progress { total pending } runs(first: 20) { totalCount nodes { status priority document { id } steps(first: 10) { number name type maxRetries isLastStep status config { stepType config cumulativeConfig } } } }
  events { nodes { type status } } } }`;

describe('run groups (pool of one connection)', () => {
  let s: TestServer;
  let project: { id: string };
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 1, maxRunsPerGroup: 12_000 });
    project = await createProject(s);
  });
  afterAll(() => s.stop());
  afterEach(() => disarmFailpoints());

  it('starts a group for every document of a batch: runs, ordered steps, configs and GROUP_START', async () => {
    const batch = await createBatch(s, project.id, 3);
    const g = (
      await must(s, START, {
        i: { batchId: batch.id, workflowDefinitionId: 'wf', name: 'g1', priority: 5, params: { a: 1 }, steps: STEPS },
      })
    ).startRunGroup;
    expect(g).toMatchObject({
      status: 'PENDING',
      name: 'g1',
      priority: 5,
      params: { a: 1 },
      batch: { id: batch.id },
      progress: { total: 3, pending: 3 },
    });
    expect(g.runs.totalCount).toBe(3);
    const run = g.runs.nodes[0];
    expect(run.priority).toBe(5);
    expect(run.steps.map((st: any) => [st.number, st.name, st.type, st.maxRetries, st.isLastStep, st.status])).toEqual([
      [1, 'ingest', 'INGEST', 0, false, 'PENDING'],
      [2, 'parse', 'PARSE', 1, false, 'PENDING'],
      [3, 'embed', 'EMBED', 0, true, 'PENDING'],
    ]);
    expect(run.steps[1].config).toEqual({
      stepType: 'PARSE',
      config: { ocr: true },
      cumulativeConfig: { ingest: {}, parse: { ocr: true } },
    });
    expect(g.events.nodes).toEqual([{ type: 'GROUP_START', status: 'PENDING' }]);
    expect(new Set(g.runs.nodes.map((r: any) => r.document.id)).size).toBe(3);
  });

  it('stores each distinct step config once', async () => {
    const batch = await createBatch(s, project.id, 1);
    const before = Number((await s.db('step_config').count({ n: '*' }).first())!.n);
    await startRunGroup(s, batch.id);
    await startRunGroup(s, batch.id);
    const after = Number((await s.db('step_config').count({ n: '*' }).first())!.n);
    expect(after - before).toBeLessThanOrEqual(STEPS.length);
    await startRunGroup(s, batch.id, [{ name: 'ingest', type: 'INGEST', config: { new: true } }]);
    expect(Number((await s.db('step_config').count({ n: '*' }).first())!.n)).toBe(after + 1);
  });

  it('starts a group for chosen documents', async () => {
    const batch = await createBatch(s, project.id, 2);
    const ids = batch.documents.nodes.map((n) => n.document.id);
    const g = (await must(s, START, { i: { documentIds: [ids[1]], workflowDefinitionId: 'wf', steps: STEPS } }))
      .startRunGroup;
    expect(g.runs.nodes.map((r: any) => r.document.id)).toEqual([ids[1]]);
    expect(g.batch).toBeNull();
  });

  it('costs the same number of SQL statements for 10 runs as for 1,000', async () => {
    const counts: number[] = [];
    for (const n of [10, 1000]) {
      const [batch] = await s
        .db('batch')
        .insert({ projectId: project.id, name: `n${n}`, source: 'fs' })
        .returning('id');
      await makeDocuments(s.db, project.id, batch.id, n);
      const { count } = await s.countStatements(() => startRunGroup(s, batch.id));
      counts.push(count);
      expect(Number((await s.db('run').where({ batchId: batch.id }).count({ n: '*' }).first())!.n)).toBe(n);
    }
    expect(counts[1]).toBe(counts[0]);
    console.log(`startRunGroup: ${counts[0]} statements for 10 runs, ${counts[1]} for 1,000 runs`);
  });

  it('refuses more runs than the configured maximum, and bad input, with BAD_USER_INPUT', async () => {
    const [batch] = await s.db('batch').insert({ projectId: project.id, name: 'toobig', source: 'fs' }).returning('id');
    await makeDocuments(s.db, project.id, batch.id, 12_001);
    const before = await tableCounts(s);
    const big = await s.gql(START, { i: { batchId: batch.id, workflowDefinitionId: 'wf', steps: STEPS } });
    expect(errorCodes(big)).toEqual(['BAD_USER_INPUT']);
    expect(big.errors![0]!.message).toMatch(/at most 12000 runs/);
    const both = await s.gql(START, {
      i: { batchId: batch.id, documentIds: [], workflowDefinitionId: 'wf', steps: STEPS },
    });
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await s.gql(START, { i: { batchId: batch.id, workflowDefinitionId: 'wf', steps: [] } }))).toEqual(
      ['BAD_USER_INPUT'],
    );
    expect(
      errorCodes(
        await s.gql(START, {
          i: { batchId: batch.id, workflowDefinitionId: 'wf', steps: [{ name: 'a', type: 'PARSE', maxRetries: -1 }] },
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      errorCodes(
        await s.gql(START, {
          i: { documentIds: ['00000000-0000-4000-8000-000000000000'], workflowDefinitionId: 'wf', steps: STEPS },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('leaves not one row behind when the step insert fails', async () => {
    const batch = await createBatch(s, project.id, 2);
    const before = await tableCounts(s);
    armFailpoint('startRunGroup.beforeSteps');
    expect(
      errorCodes(
        await s.gql(START, {
          i: {
            batchId: batch.id,
            workflowDefinitionId: 'wf',
            steps: [{ name: 'x', type: 'ROUTE', config: { unique: batch.id } }],
          },
        }),
      ),
    ).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('replays startRunGroup with the same idempotency key', async () => {
    const batch = await createBatch(s, project.id, 2);
    const first = await startRunGroup(s, batch.id, STEPS, { idempotencyKey: 'rg-1' });
    const before = await tableCounts(s);
    const again = await startRunGroup(s, batch.id, STEPS, { idempotencyKey: 'rg-1' });
    expect(again.id).toBe(first.id);
    expect(await tableCounts(s)).toEqual(before);
  });

  it('cancelRunGroup cancels every open run and step, records the events, and stops claims', async () => {
    const batch = await createBatch(s, project.id, 2);
    const g = await startRunGroup(s, batch.id, STEPS, { priority: 1000 });
    const step = await claim(s, 'w-cancel', { projectId: project.id });
    await setStatus(s, step!.id, 'COMPLETED');
    const res = (
      await must(
        s,
        `mutation ($id: ID!) { cancelRunGroup(id: $id) { status completedAt progress { cancelled total }
      runs { nodes { status steps { status } } } events(first: 100) { nodes { type status } } } }`,
        { id: g.id },
      )
    ).cancelRunGroup;
    expect(res.status).toBe('CANCELLED');
    expect(res.progress).toEqual({ cancelled: 2, total: 2 });
    const statuses = res.runs.nodes.flatMap((r: any) => r.steps.map((st: any) => st.status)).sort();
    expect(statuses).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED', 'COMPLETED']);
    const types = res.events.nodes.map((e: any) => `${e.type}:${e.status}`);
    expect(types.filter((t: string) => t === 'STEP_END:CANCELLED')).toHaveLength(5);
    expect(types.filter((t: string) => t === 'ITEM_END:CANCELLED')).toHaveLength(2);
    expect(types[types.length - 1]).toBe('GROUP_END:CANCELLED');
    const again = await claim(s, 'w-cancel', { projectId: project.id });
    expect(again?.run.id === undefined || !res.runs.nodes.some((r: any) => r.id === again!.run.id)).toBe(true);
    expect(
      errorCodes(
        await s.gql(`mutation ($id: ID!) { updateStepStatus(input: { stepId: $id, status: RUNNING }) { id } }`, {
          id: step!.id,
        }),
      ),
    ).toEqual(['CONFLICT']);
  });

  it('cancelRunGroup leaves every run, step and event as it was when it fails half-way', async () => {
    const batch = await createBatch(s, project.id, 2);
    const g = await startRunGroup(s, batch.id);
    const before = await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.runGroupId', g.id)
      .select('step.status', 'step.version');
    const events = await tableCounts(s);
    armFailpoint('cancelRunGroup.beforeGroup');
    expect(errorCodes(await s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { id } }`, { id: g.id }))).toEqual([
      'INTERNAL_SERVER_ERROR',
    ]);
    expect(
      await s
        .db('step')
        .join('run', 'run.id', 'step.runId')
        .where('run.runGroupId', g.id)
        .select('step.status', 'step.version'),
    ).toEqual(before);
    expect((await s.db('run_group').where({ id: g.id }).first()).status).toBe('PENDING');
    expect(await tableCounts(s)).toEqual(events);
  });

  it('deleteRunGroup counts (dryRun) and deletes the group with everything under it', async () => {
    const batch = await createBatch(s, project.id, 2);
    const g = await startRunGroup(s, batch.id, STEPS, { priority: 2000 });
    const step = await claim(s, 'w-del', { projectId: project.id });
    await must(s, `mutation ($i: RecordLlmCallInput!) { recordLlmCall(input: $i) { id } }`, {
      i: {
        stepId: step!.id,
        provider: 'p',
        model: 'm',
        operation: 'CHAT',
        prompt: 'hi',
        response: 'yo',
        latencyMs: 1,
        status: 'SUCCESS',
      },
    });
    const DELETE = `mutation ($id: ID!, $dry: Boolean) { deleteRunGroup(id: $id, dryRun: $dry) { dryRun deletedRunGroups deletedRuns deletedSteps deletedEvents deletedLlmCalls deletedFiles deletedDocumentUris deletedDocuments totalDeleted } }`;
    const before = await tableCounts(s);
    const dry = (await must(s, DELETE, { id: g.id, dry: true })).deleteRunGroup;
    // GROUP_START, STEP_START, ITEM_START; 2 runs x 3 steps; one call with prompt and response.
    expect(dry).toEqual({
      dryRun: true,
      deletedRunGroups: 1,
      deletedRuns: 2,
      deletedSteps: 6,
      deletedEvents: 3,
      deletedLlmCalls: 1,
      deletedFiles: 2,
      deletedDocumentUris: 0,
      deletedDocuments: 0,
      totalDeleted: 15,
    });
    expect(await tableCounts(s)).toEqual(before);
    const real = (await must(s, DELETE, { id: g.id })).deleteRunGroup;
    expect(real).toEqual({ ...dry, dryRun: false });
    const after = await tableCounts(s);
    expect(before.run_group - after.run_group).toBe(1);
    expect(before.step - after.step).toBe(6);
    expect(before.lifecycle_event - after.lifecycle_event).toBe(3);
    expect(before.stored_file - after.stored_file).toBe(2);
    expect(errorCodes(await s.gql(DELETE, { id: g.id }))).toEqual(['NOT_FOUND']);
  });
});
