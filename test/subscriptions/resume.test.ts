// 8 writers, 4,000 step status changes, a subscriber that keeps disconnecting and resuming from
// its last cursor: it must see exactly what committed, once each, in commit order per step.
import type { ServiceContext } from '../../src/services/context';
import { claimNextStep, updateStepStatus } from '../../src/services/steps';
import { createProject, startRunGroup } from '../helpers/api';
import { makeDocuments } from '../helpers/factories';
import { startTestServer, writerContext, type TestServer } from '../helpers/server';
import { withSeededRandom } from '../helpers/random';
import { collect, listening, wsClient, type Received } from '../helpers/ws';

const SUB = `subscription ($f: EventFilter!, $after: String) { stepStatusChanged(filter: $f, after: $after) { cursor previousStatus status step { id } } }`;

interface Seen {
  cursor: string;
  previousStatus: string;
  status: string;
  step: { id: string };
}

describe('resuming under load', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 12 });
  });
  afterAll(() => s.stop());

  it(
    'delivers every committed change exactly once, in commit order per step, across random reconnects',
    () =>
      withSeededRandom(
        async (random) => {
          const project = await createProject(s);
          const [batch] = await s
            .db('batch')
            .insert({ projectId: project.id, name: 'load', source: 'fs' })
            .returning('id');
          await makeDocuments(s.db, project.id, batch.id, 1000);
          const group = await startRunGroup(s, batch.id, [
            { name: 'a', type: 'PARSE' },
            { name: 'b', type: 'EMBED' },
          ]);

          const received: Seen[] = [];
          let lastCursor: string | null = null;
          let client = wsClient(s.url);
          let current: Received<{ stepStatusChanged: Seen }> | null = null;
          let consumed = 0;
          const connect = () => {
            current = collect(client, SUB, { f: { runGroupId: group.id }, after: lastCursor });
            consumed = 0;
          };
          const drainCurrent = () => {
            if (!current) return;
            for (const v of current.values.slice(consumed)) {
              received.push(v.stepStatusChanged);
              lastCursor = v.stepStatusChanged.cursor;
            }
            consumed = current.values.length;
          };
          // Without a cursor a subscription starts live: writers start once it is listening.
          const listened = listening(s);
          connect();
          await listened(1);

          const ctx: ServiceContext = writerContext(s.db);
          let writing = true;
          const writers = Array.from({ length: 8 }, async (_, w) => {
            for (;;) {
              const step = await claimNextStep(ctx, { workerId: `writer-${w}`, projectId: project.id });
              if (!step) return;
              await updateStepStatus(ctx, { stepId: step.id, status: 'COMPLETED', workerId: `writer-${w}` });
            }
          });
          // The subscriber leaves at random moments: politely (complete) or by dropping the socket.
          let reconnects = 0;
          const chaos = (async () => {
            while (writing) {
              await new Promise((r) => setTimeout(r, 50 + random() * 250));
              drainCurrent();
              if (lastCursor === null) continue; // nothing to resume from yet
              // Dropping a socket that is still connecting makes ws throw; drop only an open one.
              if (random() < 0.5 || current!.values.length === 0) {
                current!.unsubscribe();
              } else {
                client.terminate();
                client = wsClient(s.url);
              }
              drainCurrent();
              reconnects++;
              connect();
            }
          })();
          await Promise.all(writers);
          writing = false;
          await chaos;

          const committed = await s
            .db('lifecycle_event')
            .where({ runGroupId: group.id })
            .whereNotNull('stepId')
            .orderBy('id');
          expect(committed).toHaveLength(4000);
          await current!.waitFor(consumed + committed.length - received.length, 30_000);
          drainCurrent();
          await client.dispose();

          expect(received).toHaveLength(4000);
          expect(new Set(received.map((r) => r.cursor)).size).toBe(4000);
          // Per step: PENDING -> RUNNING, then RUNNING -> COMPLETED, in that order.
          const byStep = new Map<string, string[]>();
          for (const r of received)
            byStep.set(r.step.id, [...(byStep.get(r.step.id) ?? []), `${r.previousStatus}>${r.status}`]);
          expect(byStep.size).toBe(2000);
          for (const transitions of byStep.values())
            expect(transitions).toEqual(['PENDING>RUNNING', 'RUNNING>COMPLETED']);
          console.log(
            `4,000 changes by 8 writers; the subscriber reconnected ${reconnects} times and saw each change once`,
          );
          expect(reconnects).toBeGreaterThan(3);
        },
        { timeoutMs: 110_000 },
      ),
    120_000,
  );
});
