import { STEPS, UPDATE, claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

const GROUP = `query ($id: ID!) { runGroup(id: $id) { status completedAt progress { total completed failed running }
  events(first: 100) { nodes { type status step { number } run { id } } } } }`;

/** A group's events as `TYPE:STATUS[:step number]`. */
const eventLines = (g: { events: { nodes: any[] } }) =>
  g.events.nodes.map((e) => `${e.type}:${e.status}${e.step ? ':' + e.step.number : ''}`);

/** A statement by the name its opening comment gives, else by its CTE or its insert's table. */
const statementName = (q: string) =>
  q.match(/^\/\* ([^*]+) \*\//)?.[1] ?? q.match(/^with "(\w+)"/)?.[1] ?? q.match(/^insert into "(\w+)"/)?.[1] ?? q;

describe('claiming and reporting steps (pool of one connection)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 1, workerLeaseSeconds: 2 });
  });
  afterAll(() => s.stop());

  async function freshGroup(documents: number, steps: unknown[] = STEPS) {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, documents);
    const group = await startRunGroup(s, batch.id, steps);
    return { project, group };
  }

  it('runs a group to completion: steps in order, rollups and every lifecycle event', async () => {
    const { project, group } = await freshGroup(1, [
      { name: 'a', type: 'INGEST' },
      { name: 'b', type: 'PARSE' },
    ]);
    const first = await claim(s, 'w1', { projectId: project.id });
    expect(first).toMatchObject({ number: 1, status: 'RUNNING', run: { status: 'RUNNING' }, version: 2 });
    // Step 2 waits for step 1.
    expect(await claim(s, 'w2', { projectId: project.id })).toBeNull();
    expect((await setStatus(s, first!.id, 'COMPLETED')).status).toBe('COMPLETED');
    const second = await claim(s, 'w2', { projectId: project.id });
    expect(second!.number).toBe(2);
    const done = await setStatus(s, second!.id, 'COMPLETED', { workerId: 'w2', message: 'ok', meta: { chunks: 3 } });
    expect(done.completedAt).toEqual(expect.any(String));

    const g = (await must(s, GROUP, { id: group.id })).runGroup;
    expect(g).toMatchObject({ status: 'COMPLETED', progress: { total: 1, completed: 1, running: 0 } });
    expect(g.completedAt).toEqual(expect.any(String));
    expect(eventLines(g)).toEqual([
      'GROUP_START:PENDING',
      'STEP_START:RUNNING:1',
      'ITEM_START:RUNNING',
      'STEP_END:COMPLETED:1',
      'STEP_START:RUNNING:2',
      'STEP_END:COMPLETED:2',
      'ITEM_END:COMPLETED',
      'GROUP_END:COMPLETED',
    ]);
    const worker = (await must(s, `{ workers { id lastCheckinAt } }`)).workers.find((w: any) => w.id === 'w2');
    expect(worker).toBeDefined();
  });

  it('rolls a claim up in one statement for the run and group it starts, and none for a later step or a retry', async () => {
    const { project, group } = await freshGroup(1, [
      { name: 'a', type: 'INGEST' },
      { name: 'b', type: 'PARSE', maxRetries: 1 },
    ]);
    const rollups = async (claimer: string) => {
      let claimed: Awaited<ReturnType<typeof claim>> = null;
      const { sql } = await s.countStatements(async () => {
        claimed = await claim(s, claimer, { projectId: project.id });
      });
      return {
        claimed: claimed!,
        rollups: sql.filter((q) => /settle(Runs|Groups)|startRun/.test(q)).length,
        // The update returns the step as written: nothing reads it back.
        stepReads: sql.filter((q) => /^select .* from "step"/.test(q)).length,
        sql,
      };
    };
    const first = await rollups('w1');
    // PENDING -> RUNNING, for the run and the group, no rule to read. The whole claim is one
    // statement, its own transaction (no BEGIN or COMMIT round trip): it carries the check-in,
    // the step's update, the run's and the group's start and their events.
    const claimWrites = first.sql.map(statementName).filter((n) => /^(BEGIN|COMMIT)|claimNextStep/.test(n));
    expect(claimWrites).toEqual(['claimNextStep: claim']);
    expect(first).toMatchObject({ claimed: { number: 1, run: { status: 'RUNNING' } }, rollups: 0, stepReads: 0 });
    await setStatus(s, first.claimed.id, 'COMPLETED');
    const second = await rollups('w1');
    expect(second).toMatchObject({ claimed: { number: 2, run: { status: 'RUNNING' } }, rollups: 0, stepReads: 0 });
    await setStatus(s, second.claimed.id, 'ERROR');
    const retry = await rollups('w1');
    expect(retry).toMatchObject({
      claimed: { number: 2, retry: 1, run: { status: 'RUNNING' } },
      rollups: 0,
      stepReads: 0,
    });
    await setStatus(s, retry.claimed.id, 'COMPLETED');
    const g = (await must(s, GROUP, { id: group.id })).runGroup;
    expect(g.status).toBe('COMPLETED');
    // The same events as with every rollup run: the run starts once, and ends with its last step.
    expect(eventLines(g)).toEqual([
      'GROUP_START:PENDING',
      'STEP_START:RUNNING:1',
      'ITEM_START:RUNNING',
      'STEP_END:COMPLETED:1',
      'STEP_START:RUNNING:2',
      'STEP_FAILED:ERROR:2',
      'STEP_START:RUNNING:2',
      'STEP_END:COMPLETED:2',
      'ITEM_END:COMPLETED',
      'GROUP_END:COMPLETED',
    ]);
  });

  it('writes a report in one statement per row it changes, events included, and rolls up only a run that ends', async () => {
    const { project, group } = await freshGroup(1, [
      { name: 'first', type: 'INGEST', maxRetries: 1 },
      { name: 'last', type: 'ROUTE' },
    ]);
    const checkedIn = async () =>
      (
        (await s.db('worker').where({ id: 'w1', projectId: project.id }).first('lastCheckinAt')) as {
          lastCheckinAt: Date;
        }
      ).lastCheckinAt;
    const report = async (status: string) => {
      const step = await claim(s, 'w1', { projectId: project.id });
      const before = await checkedIn();
      const { sql } = await s.countStatements(() => setStatus(s, step!.id, status, { workerId: 'w1' }));
      // The report checked the worker in (inside its lock statement).
      expect((await checkedIn()).getTime()).toBeGreaterThan(before.getTime());
      return sql.slice(sql.indexOf('BEGIN;'), sql.indexOf('COMMIT;') + 1).map(statementName);
    };
    // The step locked with the worker's check-in, then the step with its event.
    const stepOnly = ['BEGIN;', 'updateStepStatus: lock step', 'step_event', 'COMMIT;'];
    // A retry and a step before the last leave the run RUNNING: nothing above the step is read.
    expect(await report('ERROR')).toEqual(stepOnly);
    expect(await report('COMPLETED')).toEqual(stepOnly);
    // The last step ends the run and the group: each roll-up records its event (ITEM_END,
    // GROUP_END) in its own statement.
    expect(await report('COMPLETED')).toEqual([
      'BEGIN;',
      'updateStepStatus: lock step',
      'step_event',
      'settleRuns: lock runs',
      'settleRuns: roll up',
      'settleGroups: lock groups',
      'settleGroups: roll up',
      'COMMIT;',
    ]);
    const g = (await must(s, GROUP, { id: group.id })).runGroup;
    expect(g.status).toBe('COMPLETED');
    expect(eventLines(g)).toEqual([
      'GROUP_START:PENDING',
      'STEP_START:RUNNING:1',
      'ITEM_START:RUNNING',
      'STEP_FAILED:ERROR:1',
      'STEP_START:RUNNING:1',
      'STEP_END:COMPLETED:1',
      'STEP_START:RUNNING:2',
      'STEP_END:COMPLETED:2',
      'ITEM_END:COMPLETED',
      'GROUP_END:COMPLETED',
    ]);
  });

  it('retries an ERROR step while retries are left, then fails the step, the run and the group', async () => {
    const { project, group } = await freshGroup(1, [{ name: 'flaky', type: 'PARSE', maxRetries: 1 }]);
    const step = await claim(s, 'w1', { projectId: project.id });
    const err = await setStatus(s, step!.id, 'ERROR', { message: 'timeout' });
    expect(err).toMatchObject({ status: 'ERROR', retry: 1 });
    const again = await claim(s, 'w1', { projectId: project.id });
    expect(again).toMatchObject({ id: step!.id, status: 'RUNNING', retry: 1 });
    const failed = await setStatus(s, step!.id, 'ERROR', { message: 'timeout again' });
    expect(failed).toMatchObject({ status: 'FAILED', retry: 2 });
    expect(await claim(s, 'w1', { projectId: project.id })).toBeNull();
    const g = (await must(s, GROUP, { id: group.id })).runGroup;
    expect(g).toMatchObject({ status: 'FAILED', progress: { failed: 1 } });
    expect(g.events.nodes.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['STEP_FAILED', 'ITEM_FAILED', 'GROUP_END']),
    );
  });

  it('refuses an illegal transition with CONFLICT naming both statuses, and a stale expectedVersion', async () => {
    const { project } = await freshGroup(1);
    const step = await claim(s, 'w1', { projectId: project.id });
    await setStatus(s, step!.id, 'COMPLETED');
    const illegal = await s.gql(UPDATE, { i: { stepId: step!.id, status: 'RUNNING' } });
    expect(errorCodes(illegal)).toEqual(['CONFLICT']);
    expect(illegal.errors![0]!.message).toMatch(/is COMPLETED; it cannot move to RUNNING/);
    expect(illegal.errors![0]!.extensions).toMatchObject({ currentStatus: 'COMPLETED', requestedStatus: 'RUNNING' });

    const next = await claim(s, 'w1', { projectId: project.id });
    const stale = await s.gql(UPDATE, {
      i: { stepId: next!.id, status: 'COMPLETED', expectedVersion: next!.version - 1 },
    });
    expect(errorCodes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors![0]!.message).toMatch(/version/);
    const held = await s.gql(UPDATE, { i: { stepId: next!.id, status: 'COMPLETED', workerId: 'someone-else' } });
    expect(errorCodes(held)).toEqual(['CONFLICT']);
    expect(held.errors![0]!.message).toMatch(/held by worker w1/);
    expect(
      (await setStatus(s, next!.id, 'COMPLETED', { expectedVersion: next!.version, workerId: 'w1' })).version,
    ).toBe(next!.version + 1);
    expect(
      errorCodes(await s.gql(UPDATE, { i: { stepId: '00000000-0000-4000-8000-000000000000', status: 'RUNNING' } })),
    ).toEqual(['NOT_FOUND']);
  });

  it('a cancelled step cancels the rest of its run', async () => {
    const { project } = await freshGroup(1);
    const step = await claim(s, 'w1', { projectId: project.id });
    await setStatus(s, step!.id, 'CANCELLED');
    const run = (
      await must(s, `query ($id: ID!) { step(id: $id) { run { status steps { status } } } }`, { id: step!.id })
    ).step.run;
    expect(run).toEqual({
      status: 'CANCELLED',
      steps: [{ status: 'CANCELLED' }, { status: 'CANCELLED' }, { status: 'CANCELLED' }],
    });
  });

  it('lets another worker take over a step whose worker went silent past the lease, and records it', async () => {
    const { project } = await freshGroup(1, [{ name: 'a', type: 'INGEST', maxRetries: 1 }]);
    const step = await claim(s, 'sleepy', { projectId: project.id });
    expect(await claim(s, 'eager', { projectId: project.id })).toBeNull();
    await s
      .db('worker')
      .where({ id: 'sleepy' })
      .update({ lastCheckinAt: s.db.raw(`now() - interval '1 hour'`) });
    const taken = await claim(s, 'eager', { projectId: project.id });
    // The lost worker's attempt counts: retry 1 of the 1 allowed.
    expect(taken).toMatchObject({ id: step!.id, status: 'RUNNING', retry: 1, worker: { id: 'eager' } });
    const events = (
      await must(
        s,
        `query ($id: ID!) { step(id: $id) { run { events { nodes { type statusMessage statusMeta } } } } }`,
        { id: step!.id },
      )
    ).step.run.events.nodes;
    expect(events[events.length - 1]).toMatchObject({ type: 'STEP_START', statusMeta: { takenOverFrom: 'sleepy' } });
    expect(events[events.length - 1].statusMessage).toMatch(/taken over from worker sleepy/);
  });

  it('claims by type and by priority, and returns null for a project out of reach', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    await startRunGroup(s, batch.id, [{ name: 'low', type: 'CHUNK' }], { priority: 1 });
    await startRunGroup(s, batch.id, [{ name: 'high', type: 'CHUNK' }], { priority: 9 });
    await startRunGroup(s, batch.id, [{ name: 'other', type: 'ROUTE' }], { priority: 99 });
    expect((await claim(s, 'w', { projectId: project.id, types: ['CHUNK'] }))!.name).toBe('high');
    expect((await claim(s, 'w', { projectId: project.id, types: ['CHUNK'] }))!.name).toBe('low');
    expect(await claim(s, 'w', { projectId: project.id, types: ['CHUNK'] })).toBeNull();
    expect(
      errorCodes(await s.gql(`mutation { claimNextStep(input: { workerId: "", projectId: null }) { id } }`)),
    ).toEqual(['BAD_USER_INPUT']);
  });

  it('workerCheckin creates a worker, then moves its check-in', async () => {
    // An admin key for every project names the worker's project (a worker belongs to one).
    const { id: p } = await createProject(s);
    const q = `mutation ($p: ID!) { workerCheckin(id: "checker", projectId: $p) { id firstCheckinAt lastCheckinAt isStale } }`;
    const first = (await must(s, q, { p })).workerCheckin;
    const second = (await must(s, q, { p })).workerCheckin;
    expect(second.firstCheckinAt).toBe(first.firstCheckinAt);
    expect(new Date(second.lastCheckinAt).getTime()).toBeGreaterThanOrEqual(new Date(first.lastCheckinAt).getTime());
    expect(second.isStale).toBe(false);
  });
});
