// A subscriber that stops reading holds bounded memory (issue 13, defect 4): past
// SUBSCRIPTION_MAX_QUEUED_EVENTS events waiting (or held back during its replay), or past
// WS_MAX_BUFFERED_BYTES waiting in the socket, it is closed with 4008 while events keep coming,
// and resuming from its last cursor gives exactly the events it missed.
import { parsePositionCursor, positionCursor } from '../../src/events/cursor';
import { createProject } from '../helpers/api';
import { rawSocket, type RawSocket } from '../helpers/rawWs';
import { startTestServer, writerContext, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';

const MAX_QUEUED = 8;
const MAX_BUFFERED = 64 * 1024;
const SUB = `subscription ($p: ID!, $after: String) { lifecycleEvents(filter: { projectId: $p }, after: $after) { cursor statusMeta } }`;
/** Each event carries this much JSON, so the kernel's socket buffers fill after a few dozen. */
const META_BYTES = 200 * 1024;

let s: TestServer;
/** The first server: a small queue limit. The second: a small socket buffer limit only. */
let byQueue: TestServer;
let byBuffer: TestServer;
beforeAll(async () => {
  byQueue = await startTestServer({ config: { subscriptionMaxQueuedEvents: MAX_QUEUED } });
  byBuffer = await startTestServer({ config: { wsMaxBufferedBytes: MAX_BUFFERED } });
  s = byQueue;
});
afterAll(() => Promise.all([byQueue.stop(), byBuffer.stop()]));

const listeners = () => s.server.bus.listenerCount;

/** Commits `count` events of the project (as another process would) and waits for their positions. */
async function produce(projectId: string, n: number, count = 1): Promise<void> {
  const pad = 'x'.repeat(META_BYTES);
  await s.db('lifecycle_event').insert(
    Array.from({ length: count }, (_, i) => ({
      projectId,
      type: 'ITEM_END',
      status: 'COMPLETED',
      statusMeta: JSON.stringify({ n: n + i, pad }),
    })),
  );
  await writerContext(s.db).onEventsCommitted!();
}

async function positionsAfter(projectId: string, after: number): Promise<string[]> {
  const rows = (await s
    .db('lifecycle_event')
    .where({ projectId })
    .where('position', '>', after)
    .orderBy('position')
    .select('position')) as { position: string }[];
  return rows.map((r) => positionCursor(Number(r.position)));
}

const cursorsOf = (socket: RawSocket, id: string) =>
  socket.messages
    .filter((m) => m.id === id && m.type === 'next')
    .map((m) => (m.payload.data.lifecycleEvents as { cursor: string }).cursor);

/**
 * Stops reading `socket`, produces events until the server has let go of every subscription
 * (its listeners are gone), then reads again: returns the close and the number produced.
 */
async function stallUntilClosed(socket: RawSocket, projectId: string, baseline: number) {
  socket.tcp.pause();
  let produced = 0;
  while (listeners() > baseline) {
    if (produced >= 400) throw new Error(`still subscribed after ${produced} events`);
    await produce(projectId, produced++);
  }
  // A few more while it is closed: they are for the resume.
  for (let i = 0; i < 3; i++) await produce(projectId, produced++);
  socket.tcp.resume();
  return { ...(await socket.closed), produced };
}

/** Resumes `id`'s stream from its last cursor on a new socket; checks it gets exactly the rest. */
async function resumeExactly(projectId: string, before: string[], cursor: string | null, since: number) {
  const again = await rawSocket(s.url);
  again.subscribe('again', SUB, { p: projectId, after: cursor });
  const missing = await positionsAfter(projectId, since);
  expect(missing.length).toBeGreaterThan(0);
  await again.message((m) => m.id === 'again' && cursorsOf(again, 'again').length >= missing.length);
  // And it is live again.
  await produce(projectId, -1);
  const all = await positionsAfter(projectId, since);
  await again.message((m) => m.id === 'again' && cursorsOf(again, 'again').length >= all.length);
  const resumed = cursorsOf(again, 'again');
  expect(resumed).toEqual(all);
  expect(before.filter((c) => resumed.includes(c))).toEqual([]);
  again.ws.close();
  await again.closed;
  // The server lets go of the subscription when it sees the close, after the client did.
  await until(() => listeners() === 0);
  return resumed.length;
}

describe('a subscriber that stops reading', () => {
  it(`is closed with 4008 past ${MAX_QUEUED} events waiting, and resumes by cursor with nothing missed or twice`, async () => {
    s = byQueue;
    const project = await createProject(s);
    const socket = await rawSocket(s.url);
    socket.subscribe('live', SUB, { p: project.id });
    await until(() => listeners() === 1);
    await produce(project.id, 0);
    await socket.message((m) => m.id === 'live' && m.type === 'next');

    const { code, reason, produced } = await stallUntilClosed(socket, project.id, 0);
    expect(code).toBe(4008);
    expect(reason).toMatch(/resume/);
    const received = cursorsOf(socket, 'live');
    const last = received.at(-1)!;
    const resumed = await resumeExactly(project.id, received, last, parsePositionCursor(last));
    console.log(
      `stalled live subscriber: closed ${code} after ${produced} events of ${META_BYTES / 1024} KiB (${received.length} had reached it); the resume got the other ${resumed - 1} and a new one`,
    );
  });

  it(`is closed with 4008 when more than ${MAX_QUEUED} live events wait behind its replay`, async () => {
    s = byQueue;
    const project = await createProject(s);
    // A backlog larger than the kernel's socket buffers can take (~20 MiB).
    const BACKLOG = 100;
    await produce(project.id, 0);
    const [first] = await positionsAfter(project.id, 0);
    for (let i = 1; i < BACKLOG; i += 25) await produce(project.id, i, 25);
    // The backlog is behind the bus before the subscription listens: replayed, not held.
    const head = parsePositionCursor((await positionsAfter(project.id, 0)).at(-1)!);
    await until(() => s.server.bus.currentPosition >= head);
    const socket = await rawSocket(s.url);
    socket.tcp.pause();
    socket.subscribe('replay', SUB, { p: project.id, after: first });
    await until(() => listeners() === 1);
    const { code, produced } = await stallUntilClosed(socket, project.id, 0);
    expect(code).toBe(4008);
    const received = cursorsOf(socket, 'replay');
    // Closed while replaying: the live events were held behind it, never delivered.
    expect(received.length).toBeLessThan(BACKLOG - 1);
    // It held the limit's worth of live events before it was closed (3 more came after).
    expect(produced - 3).toBeGreaterThan(MAX_QUEUED);
    const last = received.at(-1) ?? first!;
    const resumed = await resumeExactly(project.id, received, last, parsePositionCursor(last));
    console.log(
      `stalled replay: ${received.length} of ${BACKLOG - 1} replayed events reached it, closed ${code} after ${produced} live events; the resume got the other ${resumed - 1} and a new one`,
    );
  });

  it(`is closed with 4008 past ${MAX_BUFFERED / 1024} KiB waiting in its socket`, async () => {
    s = byBuffer;
    const project = await createProject(s);
    const socket = await rawSocket(s.url);
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) socket.subscribe(id, SUB, { p: project.id });
    await until(() => listeners() === ids.length);
    const { code, produced } = await stallUntilClosed(socket, project.id, 0);
    expect(code).toBe(4008);
    // Each subscription resumes from its own last cursor.
    for (const id of ids) {
      const received = cursorsOf(socket, id);
      const last = received.at(-1) ?? null;
      await resumeExactly(project.id, received, last, last ? parsePositionCursor(last) : 0);
    }
    console.log(
      `4 subscriptions on a stalled socket: closed ${code} after ${produced} events (${ids.map((id) => cursorsOf(socket, id).length).join(', ')} had reached them)`,
    );
  });
});
