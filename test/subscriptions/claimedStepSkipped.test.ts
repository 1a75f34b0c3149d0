// claimedStep when its claim skips (SKIP LOCKED) a claimable step that another transaction holds
// and then lets go of without changing it: nothing announces that the step is claimable again.
// Forced with a second session's row lock, through the GraphQL API against a real server.
import type { Client } from 'graphql-ws';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const CLAIMED = `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { id status worker { id } } }`;
const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;
const UPDATE = `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id status } }`;

interface Claimed {
  claimedStep: { id: string; status: string; worker: { id: string } };
}

async function checkedIn(s: TestServer, workerId: string, projectId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await s.db('worker').where({ id: workerId, projectId }).first()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`worker ${workerId} never checked in`);
}

describe('claimedStep, when its claim skipped a step another transaction held', () => {
  let s: TestServer;
  let client: Client;
  beforeAll(async () => {
    s = await startTestServer();
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  it('a refused report that held a PENDING step while the waiter looked does not strand the step', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    // 'confused' exists, so its row can be held: its report's check-in waits there, holding the step.
    await must(s, CLAIM, { i: { workerId: 'confused', projectId: project.id } });
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    const step = await s.db('step').where({ projectId: project.id }).first('id', 'status');
    expect(step.status).toBe('PENDING');
    const holder = await holdLocks(s.db);
    let sub: ReturnType<typeof collect<Claimed>>;
    let report: Promise<unknown>;
    try {
      await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['confused', project.id]);
      // A client's report the state machine refuses (PENDING cannot become COMPLETED): it locks
      // the step, then waits for its worker's row.
      report = s.gql(UPDATE, { i: { stepId: step.id, status: 'COMPLETED', workerId: 'confused' } });
      await waitingBackend(s.db, ['updateStepStatus: lock step']);
      // The waiter's first look: the only claimable step is locked, SKIP LOCKED passes over it.
      sub = collect<Claimed>(client, CLAIMED, { i: { workerId: 'patient2', projectId: project.id } });
      await checkedIn(s, 'patient2', project.id);
    } finally {
      await holder.release();
    }
    const refused = (await report!) as { errors?: { extensions?: { code?: string } }[] };
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // The report rolled back: the step is PENDING and claimable, and a worker waits for it. No
    // event was written, so no work signal comes; the lease look finds only lost workers' steps.
    let got = false;
    for (let i = 0; i < 300 && !got; i++) {
      got = sub!.values.length > 0;
      if (!got) await new Promise((r) => setTimeout(r, 10));
    }
    const now = await s.db('step').where({ id: step.id }).first('status');
    sub!.unsubscribe();
    expect({ delivered: got, status: now.status }).toEqual({ delivered: true, status: 'RUNNING' });
  });
});
