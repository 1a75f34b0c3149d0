// The event log's promises under interleavings forced with a second session holding row locks
// (issue 12, defects 1, 2, 3): commit order per step, no event skipped by a poller, a cursor
// that outlives its event.
import { UPDATE, claim, createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitersReach } from '../helpers/locks';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

const EVENTS = `subscription ($f: EventFilter!, $after: String) { lifecycleEvents(filter: $f, after: $after) {
  cursor type status step { id } } }`;
const PAGE = `query ($a: String) { lifecycleEvents(first: 100, after: $a) { nodes { id type cursor } pageInfo { endCursor } } }`;

describe('the event log under forced interleavings', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 8 });
  });
  afterAll(() => s.stop());

  it('defect 1: a step whose changes commit in one order is delivered in that order (last event = its status)', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const g = await startRunGroup(s, batch.id, [
      { name: 'a', type: 'PARSE', maxRetries: 1 },
      { name: 'b', type: 'EMBED' },
    ]);
    const client = wsClient(s.url);
    const subscribed = listening(s);
    const start = (
      await must(s, `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }) { nodes { cursor } } }`, { g: g.id })
    ).lifecycleEvents.nodes[0].cursor;
    // Everything after GROUP_START, replayed then live.
    const live = collect(client, EVENTS, { f: { runGroupId: g.id }, after: start });
    await subscribed(1);
    const step1 = await claim(s, 'w2', { projectId: project.id });
    const step2 = await s.db('step').where({ runId: step1!.run.id, number: 2 }).first('id');
    // w1 checks in (nothing to claim yet), so its worker row exists for the second session to hold.
    expect(await claim(s, 'w1', { projectId: project.id })).toBeNull();

    // T1 cancels step 2 as worker w1 and stalls on w1's row, which the second session holds.
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['w1', project.id]);
    const t1 = s.gql(UPDATE, { i: { stepId: step2.id, status: 'CANCELLED', workerId: 'w1' } });
    await waitersReach(s.db, 1);
    // T2 reports step 1 as failed: it commits first, or waits for T1 (whichever the locks allow).
    const t2 = s.gql(UPDATE, { i: { stepId: step1!.id, status: 'ERROR', workerId: 'w2' } });
    await Promise.race([t2, waitersReach(s.db, 2)]);
    await holder.release();
    const results = await Promise.all([t1, t2]);
    for (const r of results) expect(errorCodes(r).filter((c) => c !== 'CONFLICT')).toEqual([]);

    const committed = await s.db('lifecycle_event').where({ runGroupId: g.id }).count({ n: '*' }).first();
    const values = await live.waitFor(Number(committed!.n) - 1);
    await client.dispose();
    const steps = (await s.db('step').where({ runId: step1!.run.id }).select('id', 'status')) as {
      id: string;
      status: string;
    }[];
    for (const step of steps) {
      const delivered = values.filter((v) => v.lifecycleEvents.step?.id === step.id);
      expect(delivered.at(-1)?.lifecycleEvents.status).toBe(step.status);
    }
  });

  it('defect 2: a poller of lifecycleEvents never skips an event that committed after a later one', async () => {
    // Start at the end of the log.
    let after: string | null = null;
    for (;;) {
      const page: any = (await must(s, PAGE, { a: after })).lifecycleEvents;
      if (page.nodes.length === 0) break;
      after = page.pageInfo.endCursor;
    }
    const a = await createProject(s);
    const b = await createProject(s);
    const ga = await startRunGroup(s, (await createBatch(s, a.id, 1)).id, [{ name: 'x', type: 'PARSE' }]);
    const run = await s.db('run').where({ runGroupId: ga.id }).first('id');
    const seen: string[] = [];
    const poll = async () => {
      for (;;) {
        const page: any = (await must(s, PAGE, { a: after })).lifecycleEvents;
        seen.push(...page.nodes.map((n: any) => n.type));
        if (page.nodes.length === 0) return;
        after = page.pageInfo.endCursor;
      }
    };
    await poll();
    seen.length = 0;

    // The claim inserts STEP_START, then stalls on its run's row (held by the second session).
    const holder = await holdLocks(s.db);
    await holder.lock(`select 1 from run where id = ?`, [run.id]);
    const claimed = claim(s, 'poller-w', { projectId: a.id });
    await waitersReach(s.db, 1);
    // Meanwhile another project's GROUP_START commits, and the poller reads past it.
    await startRunGroup(s, (await createBatch(s, b.id, 1)).id, [{ name: 'y', type: 'PARSE' }]);
    await poll();
    await holder.release();
    await claimed;
    await poll();
    expect(seen).toContain('GROUP_START');
    expect(seen).toContain('STEP_START');
  });

  it('defect 3: a cursor stays valid after its event was deleted with its group', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const doomed = await startRunGroup(s, batch.id, [{ name: 'x', type: 'PARSE' }]);
    const cursor = (
      await must(s, `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }) { nodes { cursor } } }`, {
        g: doomed.id,
      })
    ).lifecycleEvents.nodes[0].cursor;
    const next = await startRunGroup(s, batch.id, [{ name: 'y', type: 'PARSE' }]);
    await must(s, `mutation ($id: ID!) { deleteRunGroup(id: $id) { totalDeleted } }`, { id: doomed.id });

    const client = wsClient(s.url);
    const resumed = collect(client, EVENTS, { f: { projectId: project.id }, after: cursor });
    const [first] = await resumed.waitFor(1);
    await client.dispose();
    expect(resumed.errors).toEqual([]);
    expect(first!.lifecycleEvents.type).toBe('GROUP_START');
    const page = await must(s, PAGE, { a: cursor });
    expect(page.lifecycleEvents.nodes.map((n: any) => n.type)).toContain('GROUP_START');
    void next;
  });
});
