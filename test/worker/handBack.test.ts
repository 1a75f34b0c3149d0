// Steps the server gave a worker that the worker never ran: it hands them back (releaseStep), so
// they are claimable again at once and the hand-back is no attempt.
import WebSocket from 'ws';
import {
  createRunledgerWorker,
  type RunledgerWorker,
  type RunledgerWorkerOptions,
  type StepHandlers,
} from '../../src/client';
import { claim, createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';
import { groupEnd, heldPushes, signal, stepOf, watchRequests } from '../helpers/workerWire';

const HOUR = 3_600_000;

describe('createRunledgerWorker, with steps it never ran', () => {
  let s: TestServer;
  const workers: RunledgerWorker[] = [];
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await s.stop();
  });

  function worker(
    projectId: string,
    handlers: StepHandlers,
    extra: Partial<Pick<RunledgerWorkerOptions, 'heartbeatMs' | 'pollIntervalMs'>> = {},
  ) {
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId,
      handlers,
      webSocketImpl: WebSocket,
      stopGraceMs: 200,
      ...extra,
    });
    workers.push(w);
    return w;
  }

  /** The group's step statuses as its events tell them, once `count` have happened (replayed from its start). */
  async function statuses(groupId: string, count: number): Promise<string[]> {
    const { lifecycleEvents } = await must(
      s,
      `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { cursor } } }`,
      { g: groupId },
    );
    const ws = wsClient(s.url);
    try {
      const sub = collect<{ stepStatusChanged: { status: string } }>(
        ws,
        `subscription ($g: ID, $after: String) { stepStatusChanged(filter: { runGroupId: $g }, after: $after) { status } }`,
        { g: groupId, after: lifecycleEvents.nodes[0].cursor },
      );
      const values = await sub.waitFor(count, 10_000);
      sub.unsubscribe();
      return values.map((v) => v.stepStatusChanged.status);
    } finally {
      await ws.dispose();
    }
  }

  it('hands back a step the server holds for it but it never received, after two heartbeats, and then runs it', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const ran: string[] = [];
    const busy = signal();
    const letGo = signal();
    const w = worker(
      project.id,
      {
        ROUTE: async (step) => {
          ran.push(step.id);
          if (ran.length === 1) {
            busy.fire();
            await letGo.promise;
          }
        },
      },
      { heartbeatMs: 50 },
    );
    await w.start();
    await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;
    // Its one slot is busy. The server now gives it a step it never sees, as when a claimedStep
    // push is dropped with its subscription (a reconnect, or a race with the client's complete).
    const lost = await startRunGroup(s, batch.id, [{ name: 'lost', type: 'ROUTE' }]);
    const held = await claim(s, w.workerId, { projectId: project.id });
    expect(held).toMatchObject({ status: 'RUNNING', retry: 0 });
    expect(held!.id).toBe((await stepOf(s, lost.id)).id);
    // Its heartbeats keep the lease, so the lease never frees the step: only the worker can.
    expect(await statuses(lost.id, 2)).toEqual(['RUNNING', 'ERROR']);
    expect(await stepOf(s, lost.id)).toMatchObject({
      status: 'ERROR',
      retry: 0,
      statusMessage: expect.stringMatching(/never received/),
    });
    expect(ran).toHaveLength(1);
    // Claimable again with its retry unchanged (maxRetries 0): the worker runs it once free.
    letGo.fire();
    await groupEnd(s, lost.id);
    expect(ran).toEqual([expect.any(String), held!.id]);
    expect(await stepOf(s, lost.id)).toMatchObject({ status: 'COMPLETED', retry: 0, workerId: w.workerId });
    expect(await statuses(lost.id, 4)).toEqual(['RUNNING', 'ERROR', 'RUNNING', 'COMPLETED']);
  });

  it('hands back, as it starts, a step the server held for it before it started, and then runs it', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const ran: string[] = [];
    const w = worker(project.id, { ROUTE: (step) => void ran.push(step.id) });
    const lost = await startRunGroup(s, batch.id, [{ name: 'lost', type: 'ROUTE' }]);
    // Given to it, as far as the server knows (a claim whose answer an earlier process of the
    // same name lost): the worker never saw it, and its waiting slot finds nothing claimable.
    const held = await claim(s, w.workerId, { projectId: project.id });
    await w.start();
    await groupEnd(s, lost.id);
    expect(ran).toEqual([held!.id]);
    expect(await statuses(lost.id, 4)).toEqual(['RUNNING', 'ERROR', 'RUNNING', 'COMPLETED']);
    expect(await stepOf(s, lost.id)).toMatchObject({ status: 'COMPLETED', retry: 0, workerId: w.workerId });
  });

  it('does not hand back a step whose push one heartbeat answer overtook', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const pushes = heldPushes();
    const ran: string[] = [];
    const busy = signal();
    const w = createRunledgerWorker({
      url: s.url,
      apiKey: TEST_ADMIN_KEY,
      workerId: `w-${Math.random().toString(36).slice(2)}`,
      projectId: project.id,
      // One slot runs a step, so heartbeats go on; the other waits on claimedStep.
      concurrency: 2,
      heartbeatMs: 200,
      stopGraceMs: 200,
      webSocketImpl: pushes.impl,
      handlers: {
        ROUTE: async (step, ctx) => {
          ran.push(step.id);
          if (ran.length > 1) return;
          busy.fire();
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        },
      },
    });
    workers.push(w);
    await w.start();
    await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;
    const held = pushes.hold();
    const next = await startRunGroup(s, batch.id, [{ name: 'next', type: 'ROUTE' }]);
    await held;
    // The step is claimed and its push held: the next heartbeat answer names a step the worker
    // does not know yet. Only then does the push arrive.
    const answered = signal();
    const unwatch = watchRequests('workerCheckin', { then: answered.fire });
    try {
      await answered.promise;
    } finally {
      unwatch();
    }
    pushes.deliver();
    await groupEnd(s, next.id);
    const step = await stepOf(s, next.id);
    expect(ran).toEqual([expect.any(String), step.id]);
    expect(await statuses(next.id, 2)).toEqual(['RUNNING', 'COMPLETED']);
    expect(step).toMatchObject({ status: 'COMPLETED', retry: 0, workerId: w.workerId });
  });

  it('hands back, as no attempt, a step its claim got while stop() began', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const busy = signal();
    const letGo = signal();
    const w = worker(project.id, {
      ROUTE: async () => {
        busy.fire();
        await letGo.promise;
      },
    });
    await w.start();
    await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;
    // maxRetries 0: an ERROR that counted as an attempt would make it FAILED.
    const next = await startRunGroup(s, batch.id, [{ name: 'next', type: 'ROUTE' }]);
    // When the handler returns, the worker claims for its free slot (claimNextStep): that claim
    // waits on the run's row (the run's start, and its event's foreign key), and stop() begins
    // meanwhile.
    const locks = await holdLocks(s.db);
    try {
      await locks.lock(`select id from run where run_group_id = ?`, [next.id]);
      letGo.fire();
      await waitingBackend(s.db, ['claimNextStep: claim']);
      const stopped = w.stop();
      await locks.release();
      await stopped;
    } finally {
      await locks.release();
    }
    const step = await stepOf(s, next.id);
    expect(step).toMatchObject({ status: 'ERROR', retry: 0, statusMessage: expect.stringMatching(/stopping/) });
    expect(await statuses(next.id, 2)).toEqual(['RUNNING', 'ERROR']);
    // Claimable again, with no attempt spent.
    expect(await claim(s, 'another-worker', { projectId: project.id })).toMatchObject({ id: step.id, retry: 0 });
  });

  it('hands back, when it stops, a step the server holds for it that it never received', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const busy = signal();
    // No heartbeat before it stops: only stop() can find the step.
    const w = worker(
      project.id,
      {
        ROUTE: async (_step, ctx) => {
          busy.fire();
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        },
      },
      { heartbeatMs: HOUR, pollIntervalMs: HOUR },
    );
    await w.start();
    const ranGroup = await startRunGroup(s, batch.id, [{ name: 'busy', type: 'ROUTE' }]);
    await busy.promise;
    const lost = await startRunGroup(s, batch.id, [{ name: 'lost', type: 'ROUTE' }]);
    const held = await claim(s, w.workerId, { projectId: project.id });
    expect(held!.id).toBe((await stepOf(s, lost.id)).id);
    await w.stop();
    // The step it ran and stopped is an attempt ("worker stopped", maxRetries 0: FAILED); the one it never had is not.
    expect(await stepOf(s, ranGroup.id)).toMatchObject({ status: 'FAILED', statusMessage: 'worker stopped' });
    expect(await stepOf(s, lost.id)).toMatchObject({ status: 'ERROR', retry: 0 });
    expect(await claim(s, 'another-worker', { projectId: project.id })).toMatchObject({ id: held!.id, retry: 0 });
  });
});
