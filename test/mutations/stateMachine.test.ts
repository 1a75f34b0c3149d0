// The run state machine under interleavings forced with a second session holding row locks
// (issue 12, defects 4, 5, 7, 8, 9, 10, 11).
import { UPDATE, claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { holdLocks, waitersReach } from '../helpers/locks';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

const GROUP = `query ($id: ID!) { runGroup(id: $id) { status progress { fractionDone }
  events(first: 100) { nodes { type status } } runs { nodes { status steps { number status retry statusMessage } } } } }`;

describe('the run state machine under forced interleavings', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 8 });
  });
  afterAll(() => s.stop());

  async function group(documents: number, steps: unknown[]) {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, documents);
    const g = await startRunGroup(s, batch.id, steps);
    return { project, batch, group: g };
  }
  const stepsOf = async (runGroupId: string) =>
    (await s
      .db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.runGroupId', runGroupId)
      .orderBy(['run.createdAt', 'step.number'])
      .select('step.id', 'step.number', 'step.status', 'step.runId')) as {
      id: string;
      number: number;
      status: string;
      runId: string;
    }[];
  const expireLease = (workerId: string) =>
    s
      .db('worker')
      .where({ id: workerId })
      .update({ lastCheckinAt: s.db.raw(`now() - interval '1 hour'`) });

  it('defect 4: a step becomes RUNNING only by a claim, after every earlier step COMPLETED, never in a final run', async () => {
    const { project, group: g } = await group(1, [
      { name: 'a', type: 'INGEST' },
      { name: 'b', type: 'PARSE' },
      { name: 'c', type: 'EMBED' },
    ]);
    const [s1, s2, s3] = await stepsOf(g.id);
    const skip = await s.gql(UPDATE, { i: { stepId: s3!.id, status: 'RUNNING', workerId: 'w' } });
    expect(errorCodes(skip)).toEqual(['CONFLICT']);
    expect(skip.errors![0]!.message).toMatch(/only by being claimed/);
    expect(errorCodes(await s.gql(UPDATE, { i: { stepId: s3!.id, status: 'COMPLETED', workerId: 'w' } }))).toEqual([
      'CONFLICT',
    ]);

    const first = await claim(s, 'w', { projectId: project.id });
    expect(first!.id).toBe(s1!.id);
    await setStatus(s, s1!.id, 'FAILED', { workerId: 'w' });
    // The run and the group are FAILED: step 2 can neither be claimed nor be moved to RUNNING.
    expect(await claim(s, 'w', { projectId: project.id })).toBeNull();
    expect(errorCodes(await s.gql(UPDATE, { i: { stepId: s2!.id, status: 'RUNNING', workerId: 'w' } }))).toEqual([
      'CONFLICT',
    ]);
    const after = (await must(s, GROUP, { id: g.id })).runGroup;
    expect(after.status).toBe('FAILED');
    expect(after.runs.nodes[0].steps.map((x: any) => x.status)).toEqual(['FAILED', 'PENDING', 'PENDING']);
  });

  it('defect 5: cancelRunGroup racing the report that completes the group neither deadlocks nor fails', async () => {
    const { project, group: g } = await group(1, [{ name: 'only', type: 'PARSE' }]);
    const step = await claim(s, 'w-dead', { projectId: project.id });
    // The report takes the step, then waits for the worker row the second session holds.
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from worker where id = ?`, ['w-dead']);
    const report = s.gql(UPDATE, { i: { stepId: step!.id, status: 'COMPLETED', workerId: 'w-dead' } });
    await waitersReach(s.db, 1);
    // The cancel comes to wait too (on the step the report holds), then the report goes on.
    const cancel = s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: g.id });
    await waitersReach(s.db, 2);
    await holder.release();
    const [reported, cancelled] = await Promise.all([report, cancel]);
    expect(reported.errors).toBeUndefined();
    expect(errorCodes(cancelled).filter((c) => c !== 'CONFLICT')).toEqual([]);
    const after = (await must(s, GROUP, { id: g.id })).runGroup;
    expect(after.status).toBe('COMPLETED');
    expect(after.events.nodes.filter((e: any) => e.type === 'GROUP_END')).toEqual([
      { type: 'GROUP_END', status: 'COMPLETED' },
    ]);
  });

  it('cancelRunGroup waiting for a deleteRunGroup that then commits is NOT_FOUND, and writes nothing', async () => {
    const { group: g } = await group(1, [{ name: 'only', type: 'PARSE' }]);
    const [step] = await stepsOf(g.id);
    // The delete deletes the group's events, then waits for the step the second session holds.
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from step where id = ?`, [step!.id]);
    const del = s.gql(`mutation ($id: ID!) { deleteRunGroup(id: $id) { deletedRuns } }`, { id: g.id });
    await waitersReach(s.db, 1);
    // The cancel has read the group (it exists) and queues behind the delete on that step.
    const cancel = s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { id status } }`, { id: g.id });
    await waitersReach(s.db, 2);
    await holder.release();
    const [deleted, cancelled] = await Promise.all([del, cancel]);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.deleteRunGroup.deletedRuns).toBe(1);
    expect(errorCodes(cancelled)).toEqual(['NOT_FOUND']);
    expect(cancelled.data).toBeNull();
    expect(await s.db('lifecycle_event').where({ runGroupId: g.id }).first()).toBeUndefined();
    expect(await s.db('run_group').where({ id: g.id }).first()).toBeUndefined();
  });

  it('defect 7: replaying an idempotency key whose result was deleted is a CONFLICT that says so', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const start = `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`;
    const input = {
      batchId: batch.id,
      workflowDefinitionId: 'wf',
      steps: [{ name: 'a', type: 'PARSE' }],
      idempotencyKey: 'k',
    };
    const first = (await must(s, start, { i: input })).startRunGroup;
    await must(s, `mutation ($id: ID!) { deleteRunGroup(id: $id) { totalDeleted } }`, { id: first.id });
    const replay = await s.gql(start, { i: input });
    expect(errorCodes(replay)).toEqual(['CONFLICT']);
    expect(replay.errors![0]!.message).toMatch(/has since been deleted/);
    expect(replay.errors![0]!.extensions).toMatchObject({ reason: 'RESULT_DELETED' });

    const add = `mutation ($i: AddDocumentsInput!) { addDocuments(input: $i) { created uris { id } } }`;
    const docs = {
      batchId: batch.id,
      idempotencyKey: 'd',
      documents: [{ uri: '/gone', content: 'Z29uZQ==', mimeType: 'text/plain' }],
    };
    await must(s, add, { i: docs });
    await must(s, `mutation ($i: DeleteDocumentUriInput!) { deleteDocumentUri(input: $i) { totalDeleted } }`, {
      i: { projectId: project.id, source: 'fs', uri: '/gone' },
    });
    const again = await s.gql(add, { i: docs });
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0]!.extensions).toMatchObject({ reason: 'RESULT_DELETED' });
  });

  it('defect 8: deleting the last open run closes its group with GROUP_END', async () => {
    const { project, batch, group: g } = await group(2, [{ name: 'only', type: 'PARSE' }]);
    const done = await claim(s, 'w8', { projectId: project.id });
    await setStatus(s, done!.id, 'COMPLETED');
    const open = (await stepsOf(g.id)).find((x) => x.status === 'PENDING')!;
    const run = await s.db('run').where({ id: open.runId }).first('documentId');
    const uri = await s.db('document_uri').where({ documentId: run.documentId, batchId: batch.id }).first('uri');
    await must(s, `mutation ($i: DeleteDocumentUriInput!) { deleteDocumentUri(input: $i) { deletedRuns } }`, {
      i: { projectId: project.id, source: 'fs', uri: uri.uri },
    });
    const after = (await must(s, GROUP, { id: g.id })).runGroup;
    expect(after).toMatchObject({ status: 'COMPLETED', progress: { fractionDone: 1 } });
    expect(after.events.nodes.at(-1)).toEqual({ type: 'GROUP_END', status: 'COMPLETED' });
  });

  it('a group whose runs are all deleted: CANCELLED while it was open, its final status kept once it ended', async () => {
    const deleteDocumentOf = async (batchId: string, projectId: string, runGroupId: string) => {
      const run = await s.db('run').where({ runGroupId }).first('documentId');
      const uri = await s.db('document_uri').where({ documentId: run.documentId, batchId }).first('uri');
      await must(s, `mutation ($i: DeleteDocumentUriInput!) { deleteDocumentUri(input: $i) { deletedRuns } }`, {
        i: { projectId, source: 'fs', uri: uri.uri },
      });
    };
    const groupEnds = (events: { type: string }[]) => events.filter((e) => e.type === 'GROUP_END');

    // Open (its only run PENDING): no run left is CANCELLED, with GROUP_END.
    const open = await group(1, [{ name: 'only', type: 'PARSE' }]);
    await deleteDocumentOf(open.batch.id, open.project.id, open.group.id);
    const opened = (await must(s, GROUP, { id: open.group.id })).runGroup;
    expect(opened).toMatchObject({ status: 'CANCELLED', runs: { nodes: [] } });
    expect(groupEnds(opened.events.nodes)).toEqual([{ type: 'GROUP_END', status: 'CANCELLED' }]);

    // Ended (COMPLETED): final is final, deleting its runs afterwards rewrites no history.
    const ended = await group(1, [{ name: 'only', type: 'PARSE' }]);
    const step = await claim(s, 'w-ended', { projectId: ended.project.id });
    await setStatus(s, step!.id, 'COMPLETED');
    expect((await must(s, GROUP, { id: ended.group.id })).runGroup.status).toBe('COMPLETED');
    await deleteDocumentOf(ended.batch.id, ended.project.id, ended.group.id);
    const after = (await must(s, GROUP, { id: ended.group.id })).runGroup;
    expect(after).toMatchObject({ status: 'COMPLETED', runs: { nodes: [] } });
    expect(groupEnds(after.events.nodes)).toEqual([{ type: 'GROUP_END', status: 'COMPLETED' }]);
  });

  it('defect 9: a group whose only run was cancelled is CANCELLED', async () => {
    const { group: g } = await group(1, [
      { name: 'a', type: 'PARSE' },
      { name: 'b', type: 'EMBED' },
    ]);
    const [first] = await stepsOf(g.id);
    await setStatus(s, first!.id, 'CANCELLED');
    const after = (await must(s, GROUP, { id: g.id })).runGroup;
    expect(after.status).toBe('CANCELLED');
    expect(after.runs.nodes[0].status).toBe('CANCELLED');
    expect(after.events.nodes.at(-1)).toEqual({ type: 'GROUP_END', status: 'CANCELLED' });
  });

  it('defect 10: a step that loses its worker every time is FAILED after maxRetries takeovers, saying the worker was lost', async () => {
    const { project, group: g } = await group(1, [{ name: 'poison', type: 'PARSE', maxRetries: 1 }]);
    const [step] = await stepsOf(g.id);
    expect((await claim(s, 'p1', { projectId: project.id }))!.id).toBe(step!.id);
    await expireLease('p1');
    expect(await claim(s, 'p2', { projectId: project.id })).toMatchObject({ id: step!.id, retry: 1 });
    await expireLease('p2');
    // No retry left: the takeover fails the step instead of handing it out again.
    expect(await claim(s, 'p3', { projectId: project.id })).toBeNull();
    const after = (await must(s, GROUP, { id: g.id })).runGroup;
    expect(after.status).toBe('FAILED');
    expect(after.runs.nodes[0].status).toBe('FAILED');
    expect(after.runs.nodes[0].steps[0]).toMatchObject({ status: 'FAILED', retry: 2 });
    expect(after.runs.nodes[0].steps[0].statusMessage).toMatch(/worker p2 was lost/);
  });

  it('defect 11: after a takeover, the lost worker cannot report, and the new holder can', async () => {
    const { project, group: g } = await group(1, [{ name: 'slow', type: 'PARSE', maxRetries: 1 }]);
    const [step] = await stepsOf(g.id);
    await claim(s, 'old', { projectId: project.id });
    await expireLease('old');
    await claim(s, 'new', { projectId: project.id });
    const late = await s.gql(UPDATE, { i: { stepId: step!.id, status: 'COMPLETED' } });
    expect(errorCodes(late)).toEqual(['BAD_USER_INPUT']);
    expect(late.errors![0]!.message).toMatch(/must give the reporting worker's workerId/);
    expect(errorCodes(await s.gql(UPDATE, { i: { stepId: step!.id, status: 'COMPLETED', workerId: 'old' } }))).toEqual([
      'CONFLICT',
    ]);
    const done = await setStatus(s, step!.id, 'COMPLETED', { workerId: 'new' });
    expect(done.status).toBe('COMPLETED');
  });
});
