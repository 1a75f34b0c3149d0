// A client may reuse a subscription id once it has completed it. When the complete and the new
// subscribe arrive together (one TCP segment), the first stream is still being torn down while
// the second is accepted: each must be counted against MAX_SUBSCRIPTIONS (and the per-key cap)
// exactly once and released exactly once, and each must end when its socket closes. Otherwise
// one client, by repeating this, leaves the process count at MAX_SUBSCRIPTIONS with nothing
// open, and every tenant is refused from then on.
import { claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { rawSocket, type RawSocket } from '../helpers/rawWs';
import { startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';

const PER_PROCESS = 4;
/** Each cycle holds two places for a moment: at most PER_PROCESS - 1 cycles fit under the cap. */
const CYCLES = PER_PROCESS - 1;
const SUB = `subscription ($p: ID!, $after: String) { stepStatusChanged(filter: { projectId: $p }, after: $after) { cursor } }`;
const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`;

let s: TestServer;
let projectA: string;
let projectB: string;
let secretA: string;
let secretB: string;
/** Before one of project A's events: a subscription resumed from it gets that event at once. */
let beforeEvent: string;
beforeAll(async () => {
  s = await startTestServer({ config: { wsMaxSubscriptionsPerSocket: 100, maxSubscriptions: PER_PROCESS } });
  projectA = (await createProject(s)).id;
  projectB = (await createProject(s)).id;
  secretA = (await must(s, KEY, { i: { projectId: projectA, role: 'READER' } })).createApiKey.secret;
  secretB = (await must(s, KEY, { i: { projectId: projectB, role: 'READER' } })).createApiKey.secret;
  // A cursor to resume from (a step claimed), and one event after it (the step succeeded) in project A.
  const batch = await createBatch(s, projectA, 1);
  await startRunGroup(s, batch.id);
  const c = await rawSocket(s.url, `Bearer ${secretA}`);
  c.subscribe('c', SUB, { p: projectA });
  await until(() => listeners() === 1);
  const step = (await claim(s, 'w-1', { projectId: projectA }))!;
  const first = await c.message((m) => m.id === 'c' && m.type === 'next');
  await setStatus(s, step.id, 'COMPLETED');
  await until(() => c.messages.filter((m) => m.id === 'c' && m.type === 'next').length === 2);
  c.ws.close();
  await c.closed;
  await until(() => listeners() === 0);
  beforeEvent = (first.payload as { data: { stepStatusChanged: { cursor: string } } }).data.stepStatusChanged.cursor;
});
afterAll(() => s.stop());

const listeners = () => s.server.bus.listenerCount;

/** Sends the frames in one write, so the server reads them in one chunk (ws emits them synchronously). */
function together(socket: RawSocket, send: () => void): void {
  socket.tcp.cork();
  send();
  process.nextTick(() => socket.tcp.uncork());
}

it('frees everything of a socket that re-subscribed an id it had just completed (MAX_SUBSCRIPTIONS does not leak)', async () => {
  const a = await rawSocket(s.url, `Bearer ${secretA}`);
  for (let i = 0; i < CYCLES; i++) {
    const id = `x${i}`;
    const before = listeners();
    a.subscribe(id, SUB, { p: projectA });
    await until(() => listeners() === before + 1);
    // complete x_i, then subscribe x_i again, in one segment: a legal sequence of the protocol
    // (an id may be reused once completed).
    together(a, () => {
      a.complete(id);
      a.subscribe(id, SUB, { p: projectA, after: beforeEvent });
    });
    // The second subscription runs (it replays the event after its cursor); the first sends nothing more.
    await a.message((m) => m.id === id && m.type === 'next');
    a.complete(id); // and the client completes the second one too
    await until(() => listeners() === before);
  }
  // A goes away altogether: everything it subscribed must end with its socket.
  a.ws.close();
  await a.closed;
  await until(() => listeners() === 0, 3_000).catch(() => undefined);
  const leftOnTheBus = listeners();

  // Another tenant subscribes twice on a fresh socket: nothing else is open, the cap is 4.
  const b = await rawSocket(s.url, `Bearer ${secretB}`);
  b.subscribe('b0', SUB, { p: projectB });
  b.subscribe('b1', SUB, { p: projectB });
  await until(() => listeners() >= leftOnTheBus + 2 || b.messages.some((m) => m.type === 'error'), 5_000).catch(
    () => undefined,
  );
  const refusals = b.messages.filter((m) => m.type === 'error').map((m) => ({ id: m.id, errors: m.payload }));
  b.ws.close();
  await b.closed;
  // Before the fix (found by review): graphql-ws ran the second subscribe alongside the first's
  // teardown, whose `finally` deleted the second's entry by id; the count was kept by id too. Seen:
  // leftOnTheBus 3 (streams of a closed socket listening for ever) and b1 refused
  // TOO_MANY_SUBSCRIPTIONS (limit process, max 4), one place leaked per cycle.
  expect({ leftOnTheBus, refusals }).toEqual({ leftOnTheBus: 0, refusals: [] });
});

it('lets one subscribe wait for its id to be free: a further one finds the id taken and the socket closes 4409', async () => {
  const a = await rawSocket(s.url, `Bearer ${secretA}`);
  a.subscribe('y', SUB, { p: projectA });
  await until(() => listeners() === 1);
  // The first y is still being torn down when all of this arrives: the second y waits for it,
  // and the client completes that one before it started and subscribes y a third time.
  together(a, () => {
    a.complete('y');
    a.subscribe('y', SUB, { p: projectA, after: beforeEvent });
    a.complete('y');
    a.subscribe('y', SUB, { p: projectA, after: beforeEvent });
  });
  // Before the cap each waited behind the one before it, without bound; the third one ran.
  const outcome = await Promise.race([
    a.closed,
    a.message((m) => m.id === 'y' && m.type === 'next').then((m) => ({ next: m.payload })),
  ]);
  expect(outcome).toEqual({ code: 4409, reason: 'Subscriber for y already exists' });
  await until(() => listeners() === 0);
});
