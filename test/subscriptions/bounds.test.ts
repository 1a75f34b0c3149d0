// Subscriptions are bounded (issue 13, defect 8): capped per socket and per process, subscribing
// costs no authentication statement (the socket's principal from connection_init is reused), and
// an operation that fails while it is set up leaks no listener.
import { createProject, must } from '../helpers/api';
import { rawSocket, type RawSocket } from '../helpers/rawWs';
import { startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';
import { metricValue } from '../helpers/metrics';

const PER_SOCKET = 100;
const PER_KEY = 105;
const PER_PROCESS = 110;
const SUB = `subscription ($p: ID!) { stepStatusChanged(filter: { projectId: $p }) { cursor } }`;
const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`;

let s: TestServer;
let projectId: string;
let readerSecret: string;
beforeAll(async () => {
  s = await startTestServer({
    config: {
      wsMaxSubscriptionsPerSocket: PER_SOCKET,
      wsMaxSubscriptionsPerKey: PER_KEY,
      maxSubscriptions: PER_PROCESS,
    },
  });
  projectId = (await createProject(s)).id;
  readerSecret = (await must(s, KEY, { i: { projectId, role: 'READER' } })).createApiKey.secret;
});
afterAll(() => s.stop());

const listeners = () => s.server.bus.listenerCount;

const activeMetric = () => metricValue(s, 'runledger_subscriptions_active');

async function closeAll(...sockets: RawSocket[]): Promise<void> {
  for (const socket of sockets) socket.ws.close();
  await Promise.all(sockets.map((socket) => socket.closed));
  await until(() => listeners() === 0);
}

describe('subscriptions are bounded', () => {
  it('subscribes 100 times on one socket without an authentication statement', async () => {
    const socket = await rawSocket(s.url, `Bearer ${readerSecret}`);
    const { sql } = await s.countStatements(async () => {
      for (let i = 0; i < 100; i++) socket.subscribe(`s${i}`, SUB, { p: projectId });
      await until(() => listeners() === 100);
    });
    const authentications = sql.filter((q) => q.includes('api_key'));
    console.log(`100 subscribes: ${sql.length} statements on the query pool, ${authentications.length} on api_key`);
    expect(authentications).toEqual([]);
    expect(await activeMetric()).toBe(100);
    await closeAll(socket);
    expect(await activeMetric()).toBe(0);
  });

  it(`refuses the subscription past ${PER_SOCKET} on a socket, ${PER_KEY} for a key and ${PER_PROCESS} in the process, with a code`, async () => {
    const a = await rawSocket(s.url, `Bearer ${readerSecret}`);
    for (let i = 0; i <= PER_SOCKET; i++) a.subscribe(`a${i}`, SUB, { p: projectId });
    const refusedA = await a.message((m) => m.type === 'error');
    expect(refusedA.id).toBe(`a${PER_SOCKET}`);
    expect(refusedA.payload[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 'perSocket' });
    await until(() => listeners() === PER_SOCKET);

    // The same key on a second socket.
    const c = await rawSocket(s.url, `Bearer ${readerSecret}`);
    const keyRoom = PER_KEY - PER_SOCKET;
    for (let i = 0; i <= keyRoom; i++) c.subscribe(`c${i}`, SUB, { p: projectId });
    const refusedC = await c.message((m) => m.type === 'error');
    expect(refusedC.id).toBe(`c${keyRoom}`);
    expect(refusedC.payload[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 'perKey' });
    await until(() => listeners() === PER_KEY);

    // Another key: the process is full first.
    const b = await rawSocket(s.url);
    const room = PER_PROCESS - PER_KEY;
    for (let i = 0; i <= room; i++) b.subscribe(`b${i}`, SUB, { p: projectId });
    const refusedB = await b.message((m) => m.type === 'error');
    expect(refusedB.id).toBe(`b${room}`);
    expect(refusedB.payload[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 'process' });
    await until(() => listeners() === PER_PROCESS);

    // A completed subscription makes room again, on any socket.
    a.complete('a0');
    await until(() => listeners() === PER_PROCESS - 1);
    b.subscribe('b-again', SUB, { p: projectId });
    await until(() => listeners() === PER_PROCESS);
    expect(b.messages.filter((m) => m.id === 'b-again')).toEqual([]);
    for (const socket of [a, b, c]) expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    // A closed socket gives back its key's and the process's room.
    c.ws.close();
    await c.closed;
    await until(() => listeners() === PER_PROCESS - keyRoom);
    const d = await rawSocket(s.url, `Bearer ${readerSecret}`);
    for (let i = 0; i < keyRoom; i++) d.subscribe(`d${i}`, SUB, { p: projectId });
    await until(() => listeners() === PER_PROCESS);
    expect(d.messages.filter((m) => m.type === 'error')).toEqual([]);
    await closeAll(a, b, d);
  });

  it('answers a subscription with variables nested 20,000 levels with a coded error and leaks no listener', async () => {
    const socket = await rawSocket(s.url, `Bearer ${readerSecret}`);
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    socket.subscribe('deep', SUB, `{"p":${JSON.stringify(projectId)},"deep":${deep}}`);
    const answer = await socket.message((m) => m.id === 'deep');
    expect(answer.type).toBe('error');
    expect(answer.payload[0].extensions.code).toBe('BAD_USER_INPUT');
    // The socket and its other subscriptions carry on.
    socket.subscribe('fine', SUB, { p: projectId });
    await until(() => listeners() === 1);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.complete('fine');
    await until(() => listeners() === 0);
    expect(await activeMetric()).toBe(0);
    await closeAll(socket);
  });
});
