import type { Client } from 'graphql-ws';
import { claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';

const WORK = `subscription ($f: WorkFilter!) { workAvailable(filter: $f) { reason projectId runGroupId stepTypes } }`;

describe('workAvailable', () => {
  let s: TestServer;
  let client: Client;
  beforeAll(async () => {
    s = await startTestServer({ workerLeaseSeconds: 42 });
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  const steps = [
    { name: 'ingest', type: 'INGEST' },
    { name: 'parse', type: 'PARSE', maxRetries: 1 },
    { name: 'embed', type: 'EMBED' },
  ];

  it('signals a group start, a completed step and a retry, each for the type that became claimable', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const listened = listening(s);
    const all = collect(client, WORK, { f: { projectId: project.id } });
    const parseOnly = collect(client, WORK, { f: { projectId: project.id, stepTypes: ['PARSE'] } });
    await listened(2);

    const group = await startRunGroup(s, batch.id, steps);
    const ingest = await claim(s, 'w1', { projectId: project.id });
    await setStatus(s, ingest!.id, 'COMPLETED', { workerId: 'w1' });
    const parse = await claim(s, 'w1', { projectId: project.id, types: ['PARSE'] });
    await setStatus(s, parse!.id, 'ERROR', { workerId: 'w1', message: 'flaky' });
    const again = await claim(s, 'w1', { projectId: project.id, types: ['PARSE'] });
    await setStatus(s, again!.id, 'COMPLETED', { workerId: 'w1' });
    const embed = await claim(s, 'w1', { projectId: project.id });
    await setStatus(s, embed!.id, 'COMPLETED', { workerId: 'w1' });

    const signal = (reason: string, type: string) => ({
      workAvailable: { reason, projectId: project.id, runGroupId: group.id, stepTypes: [type] },
    });
    // The last step's completion makes nothing claimable: no signal for it.
    expect(await all.waitFor(4)).toEqual([
      signal('GROUP_START', 'INGEST'),
      signal('STEP_COMPLETED', 'PARSE'),
      signal('RETRY', 'PARSE'),
      signal('STEP_COMPLETED', 'EMBED'),
    ]);
    expect(await parseOnly.waitFor(2)).toEqual([signal('STEP_COMPLETED', 'PARSE'), signal('RETRY', 'PARSE')]);
    all.unsubscribe();
    parseOnly.unsubscribe();
  });

  it('says nothing about other projects', async () => {
    const mine = await createProject(s);
    const other = await createProject(s);
    const listened = listening(s);
    const sub = collect(client, WORK, { f: { projectId: mine.id } });
    await listened(1);
    await startRunGroup(s, (await createBatch(s, other.id, 1)).id, steps);
    const group = await startRunGroup(s, (await createBatch(s, mine.id, 1)).id, steps);
    const [first] = await sub.waitFor(1);
    expect(first.workAvailable).toMatchObject({ projectId: mine.id, runGroupId: group.id });
    sub.unsubscribe();
  });

  it('claimNextStep with runGroupId claims only from that group', async () => {
    const project = await createProject(s);
    const older = await startRunGroup(s, (await createBatch(s, project.id, 1)).id, steps);
    const newer = await startRunGroup(s, (await createBatch(s, project.id, 1)).id, steps);
    const step = await claim(s, 'w2', { runGroupId: newer.id });
    const data = await must(s, `query ($id: ID!) { step(id: $id) { run { runGroup { id } } } }`, { id: step!.id });
    expect(data.step.run.runGroup.id).toBe(newer.id);
    expect(older.id).not.toBe(newer.id);
  });

  it('a worker learns the lease from its check-in', async () => {
    const { id: p } = await createProject(s);
    const data = await must(
      s,
      `mutation ($p: ID!) { workerCheckin(id: "lease-reader", projectId: $p) { leaseSeconds } }`,
      {
        p,
      },
    );
    expect(data.workerCheckin.leaseSeconds).toBe(42);
  });
});
