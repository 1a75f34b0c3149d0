// Failures injected into running subscription streams (issue 11, defect 4): the backend of a
// replay statement terminated, a replay cut by the statement timeout, the bus's LISTEN
// connection and its log reader terminated. A second session holding an ACCESS EXCLUSIVE lock
// on the log keeps the statement waiting where the test can find it (no sleeps). The client
// must see only a coded, masked error (or none, where the server absorbs the failure), the log
// line with the request id must have the detail, and the server must recover.
import { CapturedLog, writerContext, startTestServer, type TestServer } from '../helpers/server';
import { claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { collect, listening, wsClient } from '../helpers/ws';
import { until } from '../helpers/wait';
import { LISTENER_APPLICATION_NAME } from '../../src/events/notifier';
import { claimNextStep, updateStepStatus } from '../../src/services/steps';

const LIFECYCLE = `subscription ($g: ID!, $after: String) {
  lifecycleEvents(filter: { runGroupId: $g }, after: $after) { type status cursor } }`;

/** What PostgreSQL and the SQL of the log would look like in a message. */
const RAW =
  /select|lifecycle_event|position|terminating|administrator|canceling|statement timeout|sqlstate|57P01|57014/i;

function oneMaskedError(errors: unknown[]): { message: string; requestId: string } {
  expect(errors).toHaveLength(1);
  const error = [errors[0]].flat()[0] as { message: string; extensions?: Record<string, unknown> };
  expect(error.extensions).toEqual({
    code: 'INTERNAL_SERVER_ERROR',
    requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
  const requestId = error.extensions!.requestId as string;
  expect(error.message).toBe(`Internal server error (request ${requestId})`);
  expect(JSON.stringify(errors)).not.toMatch(RAW);
  return { message: error.message, requestId };
}

describe('failures injected into running subscription streams', () => {
  let s: TestServer;
  const log = new CapturedLog();

  beforeAll(async () => {
    s = await startTestServer({ log });
  });
  afterAll(() => s.stop());

  async function groupWithCursor(server: TestServer) {
    const project = await createProject(server);
    const group = await startRunGroup(server, (await createBatch(server, project.id, 1)).id, [
      { name: 'p', type: 'PARSE' },
    ]);
    const data = await must(
      server,
      `query ($id: ID!) { runGroup(id: $id) { events(first: 1) { nodes { cursor } } } }`,
      {
        id: group.id,
      },
    );
    return { project, group, cursor: data.runGroup.events.nodes[0].cursor as string };
  }

  /** A new subscription from the cursor gets what was missed, then live events again. */
  async function recovers(server: TestServer, projectId: string, groupId: string, cursor: string) {
    const client = wsClient(server.url);
    try {
      const subscribed = listening(server);
      const sub = collect(client, LIFECYCLE, { g: groupId, after: cursor });
      await subscribed(1);
      const step = await claim(server, 'w', { projectId });
      await setStatus(server, step!.id, 'COMPLETED');
      // STEP_START, ITEM_START, STEP_END, ITEM_END, GROUP_END
      const values = await sub.waitFor(5);
      expect(sub.errors).toEqual([]);
      expect(values.map((v) => v.lifecycleEvents.type)).toEqual([
        'STEP_START',
        'ITEM_START',
        'STEP_END',
        'ITEM_END',
        'GROUP_END',
      ]);
    } finally {
      await client.dispose();
    }
  }

  it("terminating the replay statement's backend ends the stream with a masked error; the server recovers", async () => {
    const { project, group, cursor } = await groupWithCursor(s);
    const listenersBefore = s.server.bus.listenerCount;
    const holder = await holdLocks(s.db);
    const client = wsClient(s.url);
    let sub: ReturnType<typeof collect>;
    try {
      await holder.lockTable('lifecycle_event');
      sub = collect(client, LIFECYCLE, { g: group.id, after: cursor });
      // The replay reads up to the position it hands over to live delivery at: `position <= $n`.
      const replay = await waitingBackend(s.db, ['from "lifecycle_event"', '"lifecycle_event"."position" <=']);
      await s.db.raw('select pg_terminate_backend(?)', [replay]);
      await sub.waitForEnd();
    } finally {
      await holder.release();
      await client.dispose();
    }
    expect(sub.values).toEqual([]);
    const { requestId } = oneMaskedError(sub.errors);
    const line = log.errorOf(requestId);
    expect(line?.err?.message).toMatch(/terminating connection due to administrator command/);
    // The failed stream left no listener on the bus behind.
    expect(s.server.bus.listenerCount).toBe(listenersBefore);

    await recovers(s, project.id, group.id, cursor);
    expect(await s.gql(`{ __typename }`)).toSucceed();
  });

  it('a replay cut by the statement timeout ends the stream with a masked error; the server recovers', async () => {
    const timedLog = new CapturedLog();
    const timed = await startTestServer({ statementTimeoutMs: 1000, log: timedLog });
    try {
      const { project, group, cursor } = await groupWithCursor(timed);
      const holder = await holdLocks(timed.db);
      const client = wsClient(timed.url);
      let sub: ReturnType<typeof collect>;
      try {
        await holder.lockTable('lifecycle_event');
        sub = collect(client, LIFECYCLE, { g: group.id, after: cursor });
        // The replay waits on the lock until its statement timeout cancels it.
        await sub.waitForEnd();
      } finally {
        await holder.release();
        await client.dispose();
      }
      expect(sub.values).toEqual([]);
      const { requestId } = oneMaskedError(sub.errors);
      const line = timedLog.errorOf(requestId);
      expect(line?.err?.message).toMatch(/canceling statement due to statement timeout/);

      await recovers(timed, project.id, group.id, cursor);
    } finally {
      await timed.stop();
    }
  });

  it("terminating the bus's LISTEN connection and its log reader mid-stream: no error reaches the client, events flow again", async () => {
    const project = await createProject(s);
    const group = await startRunGroup(s, (await createBatch(s, project.id, 3)).id, [{ name: 'p', type: 'PARSE' }]);
    const client = wsClient(s.url);
    const linesBefore = log.length;
    const ctx = writerContext(s.db);
    const work = async () => {
      const step = await claimNextStep(ctx, { workerId: 'w', projectId: project.id });
      await updateStepStatus(ctx, { stepId: step!.id, status: 'COMPLETED', workerId: 'w' });
    };
    try {
      const subscribed = listening(s);
      const sub = collect(
        client,
        `subscription ($f: EventFilter!) { stepStatusChanged(filter: $f) { status step { id } } }`,
        { f: { runGroupId: group.id } },
      );
      await subscribed(1);
      await work();
      await sub.waitFor(2);

      // The LISTEN connection: a new one is opened (another backend, same application name).
      const listener = s.server.bus.listenerBackendPid!;
      await s.db.raw('select pg_terminate_backend(?)', [listener]);
      await until(() => s.server.bus.listenerBackendPid !== listener);
      const { rows } = (await s.db.raw(`select application_name from pg_stat_activity where pid = ?`, [
        s.server.bus.listenerBackendPid,
      ])) as { rows: { application_name: string }[] };
      expect(rows).toEqual([{ application_name: LISTENER_APPLICATION_NAME }]);
      await work(); // another process's commit: heard through the new LISTEN connection
      await sub.waitFor(4);

      // The log reader: its read (a wake-up reads; only the poll sequences) waits on the lock,
      // and is terminated there.
      const holder = await holdLocks(s.db);
      const console_ = jest.spyOn(console, 'log');
      try {
        await holder.lockTable('lifecycle_event');
        s.server.bus.wake();
        const reader = await waitingBackend(s.db, ['from "lifecycle_event"', 'order by "lifecycle_event"."position"']);
        await s.db.raw('select pg_terminate_backend(?)', [reader]);
        await until(() => log.lines(linesBefore).some((l) => l.msg === 'reading the event log failed'));
        // knex's word on the lost pooled connection is a structured line, not console text.
        await until(() => log.lines().some((l) => l.msg === 'database pool' && /Connection Error/.test(l.knex ?? '')));
        expect(console_.mock.calls.flat().join('\n')).not.toMatch(/Connection Error/);
      } finally {
        console_.mockRestore();
        await holder.release();
      }
      await work();
      const values = await sub.waitFor(6);
      expect(sub.errors).toEqual([]);
      expect(sub.completed).toBe(false);
      expect(values.map((v) => v.stepStatusChanged.status)).toEqual([
        'RUNNING',
        'COMPLETED',
        'RUNNING',
        'COMPLETED',
        'RUNNING',
        'COMPLETED',
      ]);
      expect(new Set(values.map((v) => v.stepStatusChanged.step.id)).size).toBe(3);
      sub.unsubscribe();
    } finally {
      await client.dispose();
    }
  });
});
