// stepsRevoked (src/events/revocations.ts): which worker hears that a running step was taken from
// it, and who else hears nothing: another project's key, a revoked key, a worker that never held
// the step, and the holder for a change it made itself. Events reach a subscription in log order,
// so a signal that should not come is checked for by waiting for a later one that should.
import { createBatch, createProject, must, startRunGroup, UPDATE } from '../helpers/api';
import { rawSocket, type RawSocket } from '../helpers/rawWs';
import { startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';

const SUB = `subscription ($w: ID!, $p: ID) { stepsRevoked(workerId: $w, projectId: $p) { stepId reason status statusMessage } }`;
const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } secret } }`;
const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id version retry status worker { id } } }`;

interface Claimed {
  id: string;
  version: number;
}

/** A new run group of one INGEST step in the project, claimed by the worker (with the admin key). */
async function runningStep(s: TestServer, projectId: string, workerId: string, maxRetries = 0): Promise<Claimed> {
  const batch = await createBatch(s, projectId, 1);
  await startRunGroup(s, batch.id, [{ name: 'one', type: 'INGEST', maxRetries }]);
  return (await must(s, CLAIM, { i: { workerId, projectId } })).claimNextStep as Claimed;
}

async function subscribe(s: TestServer, socket: RawSocket, id: string, variables: Record<string, unknown>) {
  const before = s.server.bus.listenerCount;
  socket.subscribe(id, SUB, variables);
  await until(() => s.server.bus.listenerCount > before || socket.messages.some((m) => m.id === id));
}

const nexts = (socket: RawSocket, id: string) =>
  socket.messages.filter((m) => m.id === id && m.type !== 'complete').map((m) => m.payload);

const cancelled = (stepId: string, statusMessage: string | null = null) => ({
  data: { stepsRevoked: { stepId, reason: 'CANCELLED', status: 'CANCELLED', statusMessage } },
});

/** An operator's cancel of the step; resolves when the worker's subscription has heard of it. */
async function operatorCancels(s: TestServer, socket: RawSocket, id: string, stepId: string) {
  await must(s, UPDATE, { i: { stepId, status: 'CANCELLED' } });
  await socket.message(
    (m) =>
      m.id === id &&
      m.payload?.data?.stepsRevoked?.stepId === stepId &&
      m.payload.data.stepsRevoked.reason === 'CANCELLED',
  );
}

async function close(...sockets: RawSocket[]) {
  for (const socket of sockets) socket.ws.close();
  await Promise.all(sockets.map((socket) => socket.closed));
}

describe('stepsRevoked', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  const key = async (projectId: string, role: string) =>
    (await must(s, KEY, { i: { projectId, role } })).createApiKey as { apiKey: { id: string }; secret: string };

  it("tells a project's key nothing of another project's worker of the same name; a revoked key hears nothing", async () => {
    const worker = 'w-shared';
    const a = (await createProject(s)).id;
    const b = (await createProject(s)).id;
    const [writerA, readerA, revokedA] = [await key(a, 'WRITER'), await key(a, 'READER'), await key(a, 'WRITER')];
    const stepA = await runningStep(s, a, worker);
    const stepB = await runningStep(s, b, worker);

    const sa = await rawSocket(s.url, `Bearer ${writerA.secret}`);
    await subscribe(s, sa, 'b-named', { w: worker, p: b });
    await subscribe(s, sa, 'omitted', { w: worker });
    const sr = await rawSocket(s.url, `Bearer ${readerA.secret}`);
    await subscribe(s, sr, 'reader', { w: worker, p: a });
    const sk = await rawSocket(s.url, `Bearer ${revokedA.secret}`);
    await subscribe(s, sk, 'revoked', { w: worker, p: a });
    await must(s, `mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: revokedA.apiKey.id });
    const closed = await sk.closed;

    // B's step first: anything about it would reach sa before A's signal does.
    await must(s, UPDATE, { i: { stepId: stepB.id, status: 'CANCELLED' } });
    await operatorCancels(s, sa, 'omitted', stepA.id);
    await sr.message((m) => m.id === 'reader');

    expect(closed.code).toBe(4403);
    expect(nexts(sk, 'revoked')).toEqual([]);
    expect(nexts(sa, 'b-named')).toEqual([]);
    expect(nexts(sa, 'omitted')).toEqual([cancelled(stepA.id)]);
    expect(nexts(sr, 'reader')).toEqual([cancelled(stepA.id)]);
    await close(sa, sr);
  });

  it("sends nothing to a worker for a step it never ran, whatever another worker's report puts in statusMeta", async () => {
    const a = (await createProject(s)).id;
    const other = await runningStep(s, a, 'w-other');
    const victims = await runningStep(s, a, 'w-victim');
    const socket = await rawSocket(s.url);
    await subscribe(s, socket, 'victim', { w: 'w-victim', p: a });

    // w-other reports its own step FAILED; statusMeta is the reporter's free-form JSON.
    await must(s, UPDATE, {
      i: { stepId: other.id, status: 'FAILED', workerId: 'w-other', meta: { lostWorker: 'w-victim' } },
    });
    await operatorCancels(s, socket, 'victim', victims.id);

    expect(nexts(socket, 'victim')).toEqual([cancelled(victims.id)]);
    await close(socket);
  });

  it('sends a worker nothing for a change it made itself: a CANCELLED it reports on its own step', async () => {
    const a = (await createProject(s)).id;
    const mine = await runningStep(s, a, 'w-self');
    const later = await runningStep(s, a, 'w-self');
    const socket = await rawSocket(s.url);
    await subscribe(s, socket, 'self', { w: 'w-self', p: a });

    // Allowed: "when it names a worker, that worker must hold the step".
    await must(s, UPDATE, { i: { stepId: mine.id, status: 'CANCELLED', workerId: 'w-self' } });
    await operatorCancels(s, socket, 'self', later.id);

    expect(nexts(socket, 'self')).toEqual([cancelled(later.id)]);
    await close(socket);
  });

  it("sends the worker a run group's cancel of its running step, with the group's message", async () => {
    const a = (await createProject(s)).id;
    const batch = await createBatch(s, a, 1);
    const group = await startRunGroup(s, batch.id, [{ name: 'one', type: 'INGEST', maxRetries: 0 }]);
    const step = (await must(s, CLAIM, { i: { workerId: 'w-group', projectId: a } })).claimNextStep as Claimed;
    const socket = await rawSocket(s.url);
    await subscribe(s, socket, 'group', { w: 'w-group', p: a });

    await must(s, `mutation ($id: ID!) { cancelRunGroup(id: $id) { id } }`, { id: group.id });
    await socket.message((m) => m.id === 'group');

    expect(nexts(socket, 'group')).toEqual([cancelled(step.id, 'run group cancelled')]);
    await close(socket);
  });
});

describe('stepsRevoked, when a lease expires', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ workerLeaseSeconds: 1 });
  });
  afterAll(() => s.stop());

  /** Resolves once the worker has been silent past its 1 s lease, by the database's clock. */
  async function silentPastLease(projectId: string, workerId: string) {
    for (;;) {
      const { rows } = (await s.db.raw(
        `select last_checkin_at < now() - interval '1.1 seconds' as expired from worker where project_id = ? and id = ?`,
        [projectId, workerId],
      )) as { rows: { expired: boolean }[] };
      if (rows[0]!.expired) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('sends a worker no revocation for a step it took over from itself (it holds it now)', async () => {
    const p = (await createProject(s)).id;
    const first = await runningStep(s, p, 'w1', 3);
    const socket = await rawSocket(s.url);
    await subscribe(s, socket, 'revoked', { w: 'w1', p });

    await silentPastLease(p, 'w1');
    // w1 claims again (a paused process, a heartbeat slower than the lease) and gets its own step back.
    const again = (await must(s, CLAIM, { i: { workerId: 'w1', projectId: p } })).claimNextStep;
    expect(again).toMatchObject({ id: first.id, status: 'RUNNING', worker: { id: 'w1' }, retry: 1 });
    await operatorCancels(s, socket, 'revoked', first.id);

    expect(nexts(socket, 'revoked')).toEqual([cancelled(first.id)]);
    await close(socket);
  });

  it('sends TAKEN_OVER to the worker whose step another worker took over, and LOST when no retry was left', async () => {
    const p = (await createProject(s)).id;
    const retried = await runningStep(s, p, 'w-slow', 1);
    const socket = await rawSocket(s.url);
    await subscribe(s, socket, 'slow', { w: 'w-slow', p });

    await silentPastLease(p, 'w-slow');
    const taken = (await must(s, CLAIM, { i: { workerId: 'w-taker', projectId: p } })).claimNextStep;
    expect(taken).toMatchObject({ id: retried.id, worker: { id: 'w-taker' }, retry: 1 });
    await socket.message((m) => m.id === 'slow');
    // w-taker falls silent in turn, with no retry left: the next claim fails the step as lost.
    const lostSocket = await rawSocket(s.url);
    await subscribe(s, lostSocket, 'taker', { w: 'w-taker', p });
    await silentPastLease(p, 'w-taker');
    expect((await must(s, CLAIM, { i: { workerId: 'w-third', projectId: p } })).claimNextStep).toBeNull();
    await lostSocket.message((m) => m.id === 'taker');

    expect(nexts(socket, 'slow')).toEqual([
      {
        data: {
          stepsRevoked: {
            stepId: retried.id,
            reason: 'TAKEN_OVER',
            status: 'RUNNING',
            statusMessage: expect.stringMatching(/^taken over from worker w-slow /),
          },
        },
      },
    ]);
    expect(nexts(lostSocket, 'taker')).toEqual([
      {
        data: {
          stepsRevoked: {
            stepId: retried.id,
            reason: 'LOST',
            status: 'FAILED',
            statusMessage: expect.stringMatching(/^worker w-taker was lost /),
          },
        },
      },
    ]);
    await close(socket, lostSocket);
  });
});
