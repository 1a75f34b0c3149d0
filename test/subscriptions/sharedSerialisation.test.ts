// An event's payload is serialised once per shape (issue 13, must-work 5): 30 subscribers with
// the same selection on a large event cost one JSON serialisation, and each still gets the
// whole, well-formed message.
import { createProject } from '../helpers/api';
import { rawSocket } from '../helpers/rawWs';
import { startTestServer, writerContext, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';
import { metricValue } from '../helpers/metrics';

const SUB = `subscription ($p: ID!) { lifecycleEvents(filter: { projectId: $p }) { cursor statusMeta } }`;
const SUBSCRIBERS = 30;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const counter = (name: string) => metricValue(s, name);

it(`serialises a large event once for ${SUBSCRIBERS} subscribers of one shape`, async () => {
  const project = await createProject(s);
  // 3 sockets of 10 subscriptions: shared across sockets and within one.
  const sockets = await Promise.all([0, 1, 2].map(() => rawSocket(s.url)));
  for (let i = 0; i < SUBSCRIBERS; i++) sockets[i % 3]!.subscribe(`s${i}`, SUB, { p: project.id });
  await until(() => s.server.bus.listenerCount === SUBSCRIBERS);

  const serialisedBefore = await counter('runledger_subscription_serialisations_total');
  const payloadsBefore = await counter('runledger_subscription_payloads_total');
  const meta = { pad: 'é'.repeat(200_000), quote: '"}\\', n: 1 };
  const metaText = JSON.stringify(meta);
  // The server runs in this process: count the serialisations as large as the event, whoever makes them.
  const stringify = JSON.stringify;
  let large = 0;
  JSON.stringify = ((...args: Parameters<typeof stringify>) => {
    const out = stringify(...args);
    if (typeof out === 'string' && out.length >= metaText.length) large++;
    return out;
  }) as typeof JSON.stringify;
  await s.db('lifecycle_event').insert({
    projectId: project.id,
    type: 'ITEM_END',
    status: 'COMPLETED',
    statusMeta: metaText,
  });
  await writerContext(s.db).onEventsCommitted!();
  const answers = await Promise.all(
    Array.from({ length: SUBSCRIBERS }, (_, i) =>
      sockets[i % 3]!.message((m) => m.id === `s${i}` && m.type === 'next'),
    ),
  );
  JSON.stringify = stringify;
  for (const answer of answers) expect(answer.payload.data.lifecycleEvents.statusMeta).toEqual(meta);
  expect(new Set(answers.map((a) => a.payload.data.lifecycleEvents.cursor)).size).toBe(1);

  const serialised = (await counter('runledger_subscription_serialisations_total')) - serialisedBefore;
  const payloads = (await counter('runledger_subscription_payloads_total')) - payloadsBefore;
  console.log(
    `one ${metaText.length}-character event, ${payloads} payloads sent, ${serialised} serialisation(s) counted, ${large} JSON.stringify call(s) of its size`,
  );
  expect(payloads).toBe(SUBSCRIBERS);
  expect(large).toBe(1);
  expect(serialised).toBe(1);

  // Other messages on those sockets are unaffected: a query answers as usual.
  sockets[0]!.ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } }));
  expect((await sockets[0]!.message((m) => m.id === 'q' && m.type === 'next')).payload).toEqual({
    data: { __typename: 'Query' },
  });
  for (const socket of sockets) socket.ws.close();
  await Promise.all(sockets.map((socket) => socket.closed));
});
