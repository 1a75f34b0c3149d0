import WebSocket from 'ws';
import type { ServiceContext } from '../../src/services/context';
import { cancelRunGroup } from '../../src/services/runGroups';
import { claimNextStep, updateStepStatus } from '../../src/services/steps';
import { createBatch, createProject, startRunGroup } from '../helpers/api';
import { makeDocuments } from '../helpers/factories';
import { startServerProcess } from '../helpers/process';
import { TEST_ADMIN_KEY, startTestServer, writerContext, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';
import { metricValue } from '../helpers/metrics';
import { createDb } from '../../src/db/knex';

const SUB = `subscription ($f: EventFilter!) { stepStatusChanged(filter: $f) { cursor status step { id status run { status } } runGroupProgress { total completed } } }`;

describe('live events in production conditions', () => {
  let s: TestServer;
  let ctx: ServiceContext;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 8 });
    ctx = writerContext(s.db);
  });
  afterAll(() => s.stop());

  async function groupOf(runs: number) {
    const project = await createProject(s);
    const [batch] = await s.db('batch').insert({ projectId: project.id, name: 'b', source: 'fs' }).returning('id');
    await makeDocuments(s.db, project.id, batch.id, runs);
    const group = await startRunGroup(s, batch.id, [{ name: 'only', type: 'PARSE' }]);
    return { project, group };
  }

  async function work(projectId: string, steps: number) {
    for (let i = 0; i < steps; i++) {
      const step = await claimNextStep(ctx, { workerId: 'w', projectId });
      await updateStepStatus(ctx, { stepId: step!.id, status: 'COMPLETED', workerId: 'w' });
    }
  }

  it('misses nothing when the LISTEN connection is terminated mid-stream', async () => {
    const { project, group } = await groupOf(40);
    const client = wsClient(s.url);
    const listened = listening(s);
    const sub = collect(client, SUB, { f: { runGroupId: group.id } });
    await listened(1);
    await work(project.id, 10);
    await s.db.raw('select pg_terminate_backend(?)', [s.server.bus.listenerBackendPid]);
    await work(project.id, 20); // some of these commit while the bus has no LISTEN connection
    await work(project.id, 10);
    const values = await sub.waitFor(80);
    expect(values).toHaveLength(80);
    expect(new Set(values.map((v) => v.stepStatusChanged.cursor)).size).toBe(80);
    await client.dispose();
  });

  it('statements and GraphQL executions per event do not grow with subscribers sharing a filter', async () => {
    const executions = () => metricValue(s, 'runledger_subscription_executions_total');
    const executionsSeen: number[] = [];
    const statementsPerEvent = async (subscribers: number) => {
      const executionsBefore = await executions();
      const { group } = await groupOf(10);
      const clients = Array.from({ length: Math.min(subscribers, 10) }, () => wsClient(s.url));
      const listened = listening(s);
      const subs = Array.from({ length: subscribers }, (_, i) =>
        collect(clients[i % clients.length]!, SUB, { f: { runGroupId: group.id } }),
      );
      await listened(subscribers);
      // Count what the server runs to deliver (its request pool and the bus's pool); the writes
      // go through a pool of their own.
      const sql: string[] = [];
      const record = (q: { sql: string }) => sql.push(q.sql);
      s.db.on('query', record);
      s.server.bus.db.on('query', record);
      try {
        // One transaction, ten step events: one batch for the bus, whatever the timing.
        await cancelThrough(group.id);
        await Promise.all(subs.map((x) => x.waitFor(10)));
      } finally {
        s.db.off('query', record);
        s.server.bus.db.off('query', record);
      }
      // Reads of the log happen once per process by construction, as often as wake-ups and
      // polls come (timing on a shared test cluster); what could grow with subscribers is the
      // loading of each event's fields, so that is what is compared.
      // The notifier's once-a-second look for other listeners and its NOTIFYs are per process too.
      // So are the sequencer's runs and the bus's reads of the log (by position).
      const perProcess = [
        'pg_stat_activity',
        'pg_notify',
        'sequence_lifecycle_events',
        '"lifecycle_event"."position" >',
      ];
      const count = sql.filter((q) => !perProcess.some((p) => q.includes(p))).length;
      expect(count).toBeGreaterThan(0);
      for (const x of subs) expect(x.values).toHaveLength(10);
      executionsSeen.push((await executions()) - executionsBefore);
      await Promise.all(clients.map(async (c) => c.dispose()));
      return count;
    };
    const one = await statementsPerEvent(1);
    const hundred = await statementsPerEvent(100);
    console.log(
      `statements to deliver 10 events: ${one} with 1 subscriber, ${hundred} with 100; GraphQL executions: ${executionsSeen.join(' and ')}`,
    );
    expect(hundred).toBeLessThanOrEqual(one);
    // Subscribers of one shape share each event's execution.
    expect(executionsSeen).toEqual([10, 10]);
  });

  // Writes through a second pool, so the server's own statement count holds only delivery work.
  async function cancelThrough(runGroupId: string) {
    const other = createDb({ connection: s.database.url, poolMax: 2 });
    try {
      await cancelRunGroup({ ...ctx, db: other }, runGroupId);
    } finally {
      await other.destroy();
    }
  }

  it('reaches a subscriber on server B with changes made through server A (two processes)', async () => {
    const b = await startServerProcess({ DATABASE_URL: s.database.url });
    try {
      const { project, group } = await groupOf(10);
      const client = wsClient(b.url);
      // Subscribing on B is asynchronous: resuming from the group's first event makes the
      // stream complete whenever B starts listening.
      const start = await s.gql(
        `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { cursor } } }`,
        { g: group.id },
      );
      const sub = collect(
        client,
        `subscription ($f: EventFilter!, $after: String) { stepStatusChanged(filter: $f, after: $after) { status } }`,
        {
          f: { runGroupId: group.id },
          after: start.data.lifecycleEvents.nodes[0].cursor,
        },
      );
      await work(project.id, 10); // through server A's services and pool
      const values = await sub.waitFor(20);
      expect(values).toHaveLength(20);
      expect(values.filter((v: any) => v.stepStatusChanged.status === 'COMPLETED')).toHaveLength(10);
      await client.dispose();
    } finally {
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
    }
  });

  it("closes subscribers' sockets with 1001 when the server shuts down", async () => {
    const other = await startTestServer();
    const project = await createProject(other);
    const batch = await createBatch(other, project.id, 1);
    const group = await startRunGroup(other, batch.id);
    const socket = new WebSocket(other.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((r) => socket.on('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }));
    await new Promise((r) => socket.once('message', r));
    const listened = listening(other);
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: SUB, variables: { f: { runGroupId: group.id } } },
      }),
    );
    await listened(1);
    await other.stop();
    expect(await closed).toBe(1001);
    expect(other.server.bus.listenerCount).toBe(0);
  });
});
