// claimedStep subscribers that leave while their claim is under way, forced with a second
// session's row locks, through the GraphQL API against a real server.
import type { Client } from 'graphql-ws';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { metricValue } from '../helpers/metrics';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const CLAIMED = `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { id status version worker { id } } }`;
const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;

interface Claimed {
  claimedStep: { id: string; status: string; version: number; worker: { id: string } };
}

async function checkedIn(s: TestServer, workerId: string, projectId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await s.db('worker').where({ id: workerId, projectId }).first()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`worker ${workerId} never checked in`);
}

const waitingClaims = (s: TestServer) => metricValue(s, 'runledger_claims_waiting');

describe('claimedStep, when a subscriber leaves', () => {
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

  it('a claim rolled back for a leaver does not strand the step from a waiter of an overlapping filter', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    // 'leaver' exists, so its row can be held: its claim's check-in waits there, holding the step.
    await must(s, CLAIM, { i: { workerId: 'leaver', projectId: project.id } });
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE' }]);
    const holder = await holdLocks(s.db);
    const own = wsClient(s.url);
    let patient: ReturnType<typeof collect<Claimed>>;
    try {
      await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['leaver', project.id]);
      const before = await waitingClaims(s);
      // Room A (any type): its claim locks the step and waits on the worker row.
      const leaver = collect<Claimed>(own, CLAIMED, { i: { workerId: 'leaver', projectId: project.id } });
      await waitingBackend(s.db, ['claimNextStep']);
      // Room B (ROUTE only) looks: the step is locked, SKIP LOCKED passes over it; B waits.
      patient = collect<Claimed>(client, CLAIMED, {
        i: { workerId: 'patient', projectId: project.id, types: ['ROUTE'] },
      });
      await checkedIn(s, 'patient', project.id);
      leaver.unsubscribe();
      await own.dispose();
      for (let i = 0; i < 200 && (await waitingClaims(s)) > before + 1; i++)
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      await holder.release();
    }
    // A's claim rolls back: the step is PENDING again, and B waits for it. The room's timer looks
    // again only after half the lease (300 s by default and here).
    let got = false;
    for (let i = 0; i < 300 && !got; i++) {
      got = patient!.values.length > 0;
      if (!got) await new Promise((r) => setTimeout(r, 10));
    }
    const pending = await s.db('step').where({ projectId: project.id }).first('status');
    patient!.unsubscribe();
    expect({ delivered: got, status: pending.status }).toEqual({ delivered: true, status: 'RUNNING' });
  });
});
