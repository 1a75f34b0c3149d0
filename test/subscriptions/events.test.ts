import { armFailpoint, disarmFailpoints } from '../../src/services/failpoints';
import { STEPS, claim, createBatch, createProject, setStatus, startRunGroup } from '../helpers/api';
import { deleteRunGroup } from '../../src/services/runGroups';
import { holdLocks, waitersReach } from '../helpers/locks';
import { errorCodes, startTestServer, writerContext, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';
import { until } from '../helpers/wait';
import type { Client } from 'graphql-ws';

const STEP_CHANGES = `subscription ($f: EventFilter!, $after: String) { stepStatusChanged(filter: $f, after: $after) {
  cursor previousStatus status event { type status } step { id number status } run { id } runGroupProgress { total running completed } } }`;
const LIFECYCLE = `subscription ($f: EventFilter!, $after: String) { lifecycleEvents(filter: $f, after: $after) { type status cursor runGroup { id } } }`;
const PROGRESS = `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total pending running completed failed fractionDone } }`;

describe('subscriptions', () => {
  let s: TestServer;
  let client: Client;
  beforeAll(async () => {
    s = await startTestServer();
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });
  afterEach(() => disarmFailpoints());

  async function group(documents = 1, steps: unknown[] = STEPS) {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, documents);
    const g = await startRunGroup(s, batch.id, steps);
    return { project, batch, group: g };
  }

  it('stepStatusChanged delivers each committed change, with the step, run and group progress', async () => {
    const { project, group: g } = await group();
    const listened = listening(s);
    const sub = collect(client, STEP_CHANGES, { f: { runGroupId: g.id } });
    await listened(1);
    const step = await claim(s, 'w', { projectId: project.id });
    await setStatus(s, step!.id, 'COMPLETED');
    const [started, ended] = await sub.waitFor(2);
    expect(started.stepStatusChanged).toMatchObject({
      previousStatus: 'PENDING',
      status: 'RUNNING',
      event: { type: 'STEP_START' },
      step: { id: step!.id, number: 1 },
      run: { id: step!.run.id },
      runGroupProgress: { total: 1 },
    });
    expect(ended.stepStatusChanged).toMatchObject({
      previousStatus: 'RUNNING',
      status: 'COMPLETED',
      event: { type: 'STEP_END' },
    });
    expect(started.stepStatusChanged.cursor).not.toBe(ended.stepStatusChanged.cursor);
    sub.unsubscribe();
  });

  it('never announces a change that rolled back', async () => {
    const { project, group: g } = await group();
    const listened = listening(s);
    const sub = collect(client, LIFECYCLE, { f: { runGroupId: g.id } });
    await listened(1);
    armFailpoint('cancelRunGroup.beforeGroup'); // after the step and run events were inserted
    expect(errorCodes(await s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { id } }`, { id: g.id }))).toEqual([
      'INTERNAL_SERVER_ERROR',
    ]);
    disarmFailpoints();
    const step = await claim(s, 'w', { projectId: project.id });
    expect(step).not.toBeNull();
    await until(() => sub.values.filter((v) => v.lifecycleEvents.type !== 'GROUP_START').length >= 2);
    // GROUP_START was committed before the subscription and may or may not arrive live.
    const values = sub.values.filter((v) => v.lifecycleEvents.type !== 'GROUP_START');
    expect(values.map((v) => v.lifecycleEvents.type)).toEqual(['STEP_START', 'ITEM_START']);
    expect(values.every((v) => v.lifecycleEvents.status !== 'CANCELLED')).toBe(true);
    sub.unsubscribe();
  });

  it('resumes after a cursor: replays what was missed, then goes live, nothing twice', async () => {
    const { project, group: g } = await group(1, [
      { name: 'a', type: 'PARSE' },
      { name: 'b', type: 'CHUNK' },
    ]);
    const listened = listening(s);
    const first = collect(client, LIFECYCLE, { f: { runGroupId: g.id } });
    await listened(1);
    const a = await claim(s, 'w', { projectId: project.id });
    // GROUP_START, committed before the subscription, may still arrive live: resume after a's start.
    await until(() => first.values.some((v) => v.lifecycleEvents.type === 'STEP_START'));
    const seen = first.values.find((v) => v.lifecycleEvents.type === 'STEP_START')!;
    first.unsubscribe();
    // While nobody listens:
    await setStatus(s, a!.id, 'COMPLETED');
    const b = await claim(s, 'w', { projectId: project.id });

    const resumed = collect(client, LIFECYCLE, { f: { runGroupId: g.id }, after: seen.lifecycleEvents.cursor });
    const replayed = await resumed.waitFor(3);
    expect(replayed.map((v) => v.lifecycleEvents.type)).toEqual(['ITEM_START', 'STEP_END', 'STEP_START']);
    await setStatus(s, b!.id, 'COMPLETED');
    const all = await resumed.waitFor(6);
    expect(all.map((v) => v.lifecycleEvents.type)).toEqual([
      'ITEM_START',
      'STEP_END',
      'STEP_START',
      'STEP_END',
      'ITEM_END',
      'GROUP_END',
    ]);
    expect(new Set(all.map((v) => v.lifecycleEvents.cursor)).size).toBe(6);
    resumed.unsubscribe();
  });

  it('refuses a malformed or unknown cursor with BAD_USER_INPUT', async () => {
    const bad = collect(client, LIFECYCLE, { f: {}, after: 'nonsense' });
    await bad.waitForEnd();
    expect(JSON.stringify(bad.errors)).toMatch(/BAD_USER_INPUT/);
    // A position the log never gave out.
    const unknown = Buffer.from(JSON.stringify(['e', 999999999])).toString('base64url');
    const gone = collect(client, LIFECYCLE, { f: {}, after: unknown });
    await gone.waitForEnd();
    expect(JSON.stringify(gone.errors)).toMatch(/BAD_USER_INPUT/);
    expect(JSON.stringify(gone.errors)).toMatch(/not a position of this event log/);
  });

  it('filters by step type and project', async () => {
    const { project, group: g } = await group(1, [
      { name: 'a', type: 'PARSE' },
      { name: 'b', type: 'CHUNK' },
    ]);
    const listened = listening(s);
    const chunks = collect(client, STEP_CHANGES, { f: { runGroupId: g.id, stepTypes: ['CHUNK'] } });
    const elsewhere = collect(client, STEP_CHANGES, { f: { projectId: '00000000-0000-4000-8000-000000000000' } });
    await listened(2);
    const a = await claim(s, 'w', { projectId: project.id });
    await setStatus(s, a!.id, 'COMPLETED');
    const b = await claim(s, 'w', { projectId: project.id });
    const values = await chunks.waitFor(1);
    expect(values[0].stepStatusChanged.step.id).toBe(b!.id);
    expect(elsewhere.values).toEqual([]);
    chunks.unsubscribe();
    elsewhere.unsubscribe();
  });

  it('runGroupProgress sends the progress now, after each change, and completes when the group is final', async () => {
    const { project, group: g } = await group(2, [{ name: 'only', type: 'PARSE' }]);
    const sub = collect(client, PROGRESS, { id: g.id });
    const [initial] = await sub.waitFor(1);
    expect(initial.runGroupProgress).toEqual({
      total: 2,
      pending: 2,
      running: 0,
      completed: 0,
      failed: 0,
      fractionDone: 0,
    });
    for (let i = 0; i < 2; i++) {
      const st = await claim(s, 'w', { projectId: project.id });
      await setStatus(s, st!.id, i === 0 ? 'COMPLETED' : 'FAILED');
    }
    await sub.waitForEnd();
    const last = sub.values[sub.values.length - 1].runGroupProgress;
    expect(last).toEqual({ total: 2, pending: 0, running: 0, completed: 1, failed: 1, fractionDone: 1 });
    expect(sub.completed).toBe(true);
    const fractions = sub.values.map((v) => v.runGroupProgress.fractionDone);
    expect(fractions).toEqual([...fractions].sort());
    const missing = collect(client, PROGRESS, { id: '00000000-0000-4000-8000-000000000000' });
    await missing.waitForEnd();
    expect(JSON.stringify(missing.errors)).toMatch(/NOT_FOUND/);
  });

  describe('runGroupProgress of a group that is deleted completes (issue 12)', () => {
    const DELETE = `mutation ($id: ID!) { deleteRunGroup(id: $id) { deletedRunGroups } }`;
    async function running(server: TestServer) {
      const project = await createProject(server);
      const batch = await createBatch(server, project.id, 2);
      const g = await startRunGroup(server, batch.id, [{ name: 'only', type: 'PARSE' }]);
      const st = await claim(server, 'w', { projectId: project.id });
      await setStatus(server, st!.id, 'COMPLETED');
      return g;
    }

    it('when the delete commits after the subscription read the group', async () => {
      const g = await running(s);
      // The delete waits on the group row, held by a second session, until the stream is open.
      const holder = await holdLocks(s.db);
      await holder.lock('select 1 from run_group where id = ?', [g.id]);
      const deleting = s.gql(DELETE, { id: g.id });
      await waitersReach(s.db, 1);
      const sub = collect(client, PROGRESS, { id: g.id });
      const [initial] = await sub.waitFor(1);
      expect(initial.runGroupProgress).toMatchObject({ total: 2, completed: 1 });
      await holder.release();
      expect(await deleting).toSucceed();
      await sub.waitForEnd();
      expect(sub.completed).toBe(true);
      expect(sub.errors).toEqual([]);
      expect(sub.values).toHaveLength(1);
    });

    it('when another process deletes it', async () => {
      const g = await running(s);
      const sub = collect(client, PROGRESS, { id: g.id });
      await sub.waitFor(1);
      await deleteRunGroup(writerContext(s.db), g.id, false);
      await sub.waitForEnd();
      expect(sub).toMatchObject({ completed: true, errors: [] });
      // A deleted group is NOT_FOUND to a new subscription.
      const again = collect(client, PROGRESS, { id: g.id });
      await again.waitForEnd();
      expect(JSON.stringify(again.errors)).toMatch(/NOT_FOUND/);
    });

    it('on a server that does not LISTEN (LIVE_EVENTS=false): found by the poll', async () => {
      const quiet = await startTestServer({ liveEvents: false });
      const quietClient = wsClient(quiet.url);
      try {
        const g = await running(quiet);
        const sub = collect(quietClient, PROGRESS, { id: g.id });
        await sub.waitFor(1);
        expect(await quiet.gql(DELETE, { id: g.id })).toSucceed();
        await sub.waitForEnd();
        expect(sub).toMatchObject({ completed: true, errors: [] });
      } finally {
        await quietClient.dispose();
        await quiet.stop();
      }
    });
  });

  it('still delivers every event, by polling the log, with NOTIFY turned off (LIVE_EVENTS=false)', async () => {
    const quiet = await startTestServer({ liveEvents: false });
    const quietClient = wsClient(quiet.url);
    try {
      const project = await createProject(quiet);
      const batch = await createBatch(quiet, project.id, 1);
      const g = await startRunGroup(quiet, batch.id, STEPS);
      const listened = listening(quiet);
      const sub = collect(quietClient, STEP_CHANGES, { f: { runGroupId: g.id } });
      await listened(1);
      const step = await claim(quiet, 'w', { projectId: project.id });
      await setStatus(quiet, step!.id, 'COMPLETED');
      const values = await sub.waitFor(2);
      expect(values.map((v) => v.stepStatusChanged.status)).toEqual(['RUNNING', 'COMPLETED']);
    } finally {
      await quietClient.dispose();
      await quiet.stop();
    }
  });

  it('costs nothing once the client leaves: no listener left behind', async () => {
    const before = s.server.bus.listenerCount;
    const listened = listening(s);
    const subs = Array.from({ length: 5 }, () => collect(client, LIFECYCLE, { f: {} }));
    await listened(5);
    subs.forEach((x) => x.unsubscribe());
    await until(() => s.server.bus.listenerCount === before);
    expect(s.server.bus.listenerCount).toBe(before);
  });
});
