// claimedStep (src/events/claims.ts): a worker waits on the server for its next step instead of
// waiting for a signal and then claiming. What it promises: nothing is sent to PostgreSQL while
// it waits, a step wakes one claim however many workers wait, the claim follows claimNextStep's
// rules (scope, role), and a subscriber that leaves while its claim waits gets no step.
import type { Client } from 'graphql-ws';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { makeProject, makeWorker } from '../helpers/factories';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { metricValue } from '../helpers/metrics';
import { firstLookDone } from '../helpers/workerWire';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient, type Received } from '../helpers/ws';
import { until } from '../helpers/wait';

const CLAIMED = `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { id status version worker { id } run { runGroup { id } } } }`;
const STEP = `query ($id: ID!) { step(id: $id) { status retry worker { id } } }`;
const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;
const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } secret } }`;

interface Claimed {
  claimedStep: {
    id: string;
    status: string;
    version: number;
    worker: { id: string };
    run: { runGroup: { id: string } };
  };
}

const ONE_STEP = [{ name: 'route', type: 'ROUTE' }];

/** claimedStep subscriptions the server holds as waiting (a subscriber that left is not one). */
const waitingClaims = (s: TestServer) => metricValue(s, 'runledger_claims_waiting');

describe('claimedStep', () => {
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

  it('waits without a statement, then sends the step it claimed when a group starts, and completes', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const listened = listening(s);
    const sub = collect<Claimed>(client, CLAIMED, { i: { workerId: 'waiter', projectId: project.id } });
    await listened(1);
    await firstLookDone(s, 'waiter', project.id);
    const idle = await s.countStatements(() => new Promise((r) => setTimeout(r, 300)));
    expect(idle.sql.filter((q) => q.includes('claimNextStep'))).toEqual([]);

    const group = await startRunGroup(s, batch.id, ONE_STEP);
    const [got] = await sub.waitFor(1);
    expect(got!.claimedStep).toMatchObject({
      status: 'RUNNING',
      worker: { id: 'waiter' },
      run: { runGroup: { id: group.id } },
    });
    await sub.waitForEnd();
    const step = await must(s, STEP, { id: got!.claimedStep.id });
    expect(step.step).toMatchObject({ status: 'RUNNING', worker: { id: 'waiter' } });
  });

  it('of eight workers waiting with the same filter, one claims each step: no claim per idle worker, none that finds nothing', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 2);
    const listened = listening(s);
    const subs: Received<Claimed>[] = Array.from({ length: 8 }, (_, i) =>
      collect<Claimed>(client, CLAIMED, { i: { workerId: `fleet-${i}`, projectId: project.id, types: ['ROUTE'] } }),
    );
    // One bus listener for the room of the eight; the first in line looks first.
    await listened(1);
    await firstLookDone(s, 'fleet-0', project.id);
    // A subscription that arrives after that look makes the room look again (it may find work
    // the first missed): under load the last ones come late, so wait for all eight, then for the
    // looks they caused to end, before counting.
    for (let i = 0; i < 500 && (await waitingClaims(s)) < 8; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await waitingClaims(s)).toBe(8);
    const claimsIn100Ms = async () =>
      (await s.countStatements(() => new Promise((r) => setTimeout(r, 100)))).sql.filter((q) =>
        q.includes('claimNextStep'),
      ).length;
    for (let i = 0; i < 50 && (await claimsIn100Ms()) > 0; i++);
    const counted = await s.countStatements(async () => {
      await startRunGroup(s, batch.id, ONE_STEP);
      await until(() => subs.filter((x) => x.values.length > 0).length === 2);
      // Time for a claim behind them to be sent, if the turn made one.
      await new Promise((r) => setTimeout(r, 200));
    });
    const claims = counted.sql.filter((q) => q.includes('claimNextStep'));
    // Two steps (one run each), one signal: two claims. The second one's statement saw nothing
    // else claimable, so the turn ends with it: no claim that finds nothing (one per signal
    // before, eight per signal before the room).
    expect(claims).toHaveLength(2);
    const winners = subs.filter((x) => x.values.length > 0);
    expect(winners).toHaveLength(2);
    expect(new Set(winners.map((w) => w.values[0]!.claimedStep.id)).size).toBe(2);
    for (const x of subs) x.unsubscribe();
  });

  it('claims a step made claimable on this server before the log has the event (its sequencing held), and no second time after', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const listened = listening(s);
    const ingest = collect<Claimed>(client, CLAIMED, {
      i: { workerId: 'hinted-a', projectId: project.id, types: ['INGEST'] },
    });
    const route = collect<Claimed>(client, CLAIMED, {
      i: { workerId: 'hinted-b', projectId: project.id, types: ['ROUTE'] },
    });
    await listened(2);
    await firstLookDone(s, 'hinted-a', project.id);
    await firstLookDone(s, 'hinted-b', project.id);
    /** Step `n` of the batch's group once a waiter holds it (RUNNING). */
    const claimedStep = async (n: number) => {
      for (let i = 0; i < 500; i++) {
        const row = (await s
          .db('step')
          .join('run', 'run.id', 'step.runId')
          .where({ 'run.batchId': batch.id, 'step.number': n, 'step.status': 'RUNNING' })
          .first('step.id', 'step.workerId', 'step.version')) as
          { id: string; workerId: string; version: number } | undefined;
        if (row) return row;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`step ${n} was never claimed`);
    };
    /**
     * `write` while the sequencer's row is held: its events reach no reader of the log (and its
     * answer, which waits for their positions, waits too) until `then` has seen the claim.
     */
    const sequencingHeld = async <T>(write: () => Promise<unknown>, then: () => Promise<T>): Promise<T> => {
      const holder = await holdLocks(s.db);
      let written: Promise<unknown> | undefined;
      try {
        await holder.lock(`select 1 from event_log_head`);
        written = write();
        return await then();
      } finally {
        await holder.release();
        await written;
      }
    };
    const counted = await s.countStatements(async () => {
      const first = await sequencingHeld(
        () =>
          startRunGroup(s, batch.id, [
            { name: 'first', type: 'INGEST' },
            { name: 'second', type: 'ROUTE' },
          ]),
        () => claimedStep(1),
      );
      expect(first.workerId).toBe('hinted-a');
      const second = await sequencingHeld(
        () =>
          s.gql(`mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { status } }`, {
            i: { stepId: first.id, status: 'COMPLETED', workerId: 'hinted-a', expectedVersion: first.version },
          }),
        () => claimedStep(2),
      );
      expect(second.workerId).toBe('hinted-b');
      await until(() => ingest.values.length > 0 && route.values.length > 0);
      // The log's signals for both events came: time for a claim they would send.
      await new Promise((r) => setTimeout(r, 300));
    });
    // One claim per step: each log signal stood for a change the waiting claims had heard of.
    expect(counted.sql.filter((q) => q.includes('claimNextStep'))).toHaveLength(2);
    // Nor were the types those changes made claimable looked up (the hints named them).
    expect(counted.sql.filter((q) => q.includes('array_agg(distinct s.type)') || q.includes('join step n'))).toEqual(
      [],
    );
    ingest.unsubscribe();
    route.unsubscribe();
  });

  it('a subscriber that leaves while its claim waits for a lock gets no step: the claim rolls back', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    // The worker exists, so a second session can hold its row: the claim's check-in waits there,
    // holding the step's lock.
    await must(s, CLAIM, { i: { workerId: 'leaver', projectId: project.id } });
    await startRunGroup(s, batch.id, ONE_STEP);
    const holder = await holdLocks(s.db);
    try {
      await holder.lock(`select 1 from worker where id = ? and project_id = ?`, ['leaver', project.id]);
      const before = await waitingClaims(s);
      const own = wsClient(s.url);
      const sub = collect<Claimed>(own, CLAIMED, { i: { workerId: 'leaver', projectId: project.id } });
      await waitingBackend(s.db, ['claimNextStep']);
      sub.unsubscribe();
      await own.dispose();
      for (let i = 0; i < 200 && (await waitingClaims(s)) > before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await waitingClaims(s)).toBe(before);
    } finally {
      await holder.release();
    }
    // The claim rolled back: the step is still there to claim, by another worker.
    let claimed: { id: string } | null = null;
    for (let i = 0; i < 100 && !claimed; i++) {
      claimed = (await must(s, CLAIM, { i: { workerId: 'stayer', projectId: project.id } })).claimNextStep;
      if (!claimed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(claimed).not.toBeNull();
    const step = await must(s, STEP, { id: claimed!.id });
    expect(step.step).toMatchObject({ status: 'RUNNING', retry: 0, worker: { id: 'stayer' } });
  });

  it('sends the step it claimed without waiting for the log: with the sequencer held, the step arrives and its event is numbered after', async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    await startRunGroup(s, batch.id, ONE_STEP);
    // The sequencer's row, held: the claim's STEP_START cannot get its log position meanwhile.
    const holder = await holdLocks(s.db);
    let got: Claimed['claimedStep'];
    try {
      await holder.lock(`select 1 from event_log_head`);
      const sub = collect<Claimed>(client, CLAIMED, { i: { workerId: 'unheld', projectId: project.id } });
      // Before: the push waited for the claim's events to be numbered (its sequencing), here
      // for as long as the row was held.
      got = (await sub.waitFor(1))[0]!.claimedStep;
      expect(got).toMatchObject({ status: 'RUNNING', worker: { id: 'unheld' } });
      await waitingBackend(s.db, ['sequence']);
      const start = await s.db('lifecycle_event').where({ stepId: got.id, type: 'STEP_START' }).first('position');
      expect(start).toEqual({ position: null });
    } finally {
      await holder.release();
    }
    // Once the row is free the event is numbered, as every committed event is.
    let position: unknown = null;
    for (let i = 0; i < 200 && position === null; i++) {
      position = (await s.db('lifecycle_event').where({ stepId: got!.id, type: 'STEP_START' }).first('position'))
        ?.position;
      if (position === null) await new Promise((r) => setTimeout(r, 10));
    }
    expect(position).not.toBeNull();
  });

  it("brings its claim's reads: the step's run (as the claim left it), document and config need no statement after the claim", async () => {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 2);
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE', config: { pages: 3 } }]);
    const fields = `id status config { config } run { id status statusAt startedAt params runGroup { id } document { id hash mimeType } }`;
    const read = async (id: string) => (await must(s, `query ($id: ID!) { step(id: $id) { ${fields} } }`, { id })).step;
    // Pushed to a waiting worker (its first look finds the step).
    let pushed: any;
    const bySubscription = await s.countStatements(async () => {
      const sub = collect<any>(client, `subscription ($i: ClaimStepInput!) { claimedStep(input: $i) { ${fields} } }`, {
        i: { workerId: 'primed-sub', projectId: project.id },
      });
      await sub.waitFor(1);
      expect(sub.errors).toEqual([]);
      pushed = sub.values[0]!.claimedStep;
    });
    // Answered to claimNextStep.
    let answered: any;
    const byMutation = await s.countStatements(async () => {
      answered = (
        await must(s, `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { ${fields} } }`, {
          i: { workerId: 'primed-mutation', projectId: project.id },
        })
      ).claimNextStep;
    });
    const reads = (sql: string[]) => sql.filter((q) => /from "(run|document|step_config)"/.test(q));
    expect(reads(bySubscription.sql)).toEqual([]);
    expect(reads(byMutation.sql)).toEqual([]);
    // What a read gives afterwards: the run the claim started is RUNNING, at its new version.
    expect(pushed.run.status).toBe('RUNNING');
    expect(pushed).toEqual(await read(pushed.id));
    expect(answered).toEqual(await read(answered.id));
    expect(answered.config).toEqual({ config: { pages: 3 } });

    // A step of a run already RUNNING (its first step completed): the run as it was.
    const later = await createBatch(s, project.id, 1);
    await startRunGroup(s, later.id, [
      { name: 'ingest', type: 'INGEST' },
      { name: 'route', type: 'ROUTE' },
    ]);
    const first = (
      await must(s, `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id version } }`, {
        i: { workerId: 'primed-first', projectId: project.id, types: ['INGEST'] },
      })
    ).claimNextStep;
    await must(s, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`, {
      i: { stepId: first.id, status: 'COMPLETED', workerId: 'primed-first', expectedVersion: first.version },
    });
    let second: any;
    const bySecond = await s.countStatements(async () => {
      second = (
        await must(s, `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { ${fields} } }`, {
          i: { workerId: 'primed-second', projectId: project.id, types: ['ROUTE'] },
        })
      ).claimNextStep;
    });
    expect(reads(bySecond.sql)).toEqual([]);
    expect(second.run.status).toBe('RUNNING');
    expect(second).toEqual(await read(second.id));
  });

  it('needs a WRITER key, and a key of another project claims nothing of this one', async () => {
    const mine = await createProject(s);
    const other = await createProject(s);
    const reader = (await must(s, KEY, { i: { role: 'READER', projectId: mine.id } })).createApiKey.secret;
    const otherWriter = (await must(s, KEY, { i: { role: 'WRITER', projectId: other.id } })).createApiKey.secret;

    const readerClient = wsClient(s.url, { connectionParams: { authorization: `Bearer ${reader}` } });
    const refused = collect(readerClient, CLAIMED, { i: { workerId: 'r', projectId: mine.id } });
    await refused.waitFor(1);
    expect(refused.errors.flat().map((e: any) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    await readerClient.dispose();

    const otherClient = wsClient(s.url, { connectionParams: { authorization: `Bearer ${otherWriter}` } });
    const listened = listening(s);
    const named = collect<Claimed>(otherClient, CLAIMED, { i: { workerId: 'thief', projectId: mine.id } });
    const unnamed = collect<Claimed>(otherClient, CLAIMED, { i: { workerId: 'thief2' } });
    await listened(2);
    await startRunGroup(s, (await createBatch(s, mine.id, 1)).id, ONE_STEP);
    // The step is still there for this project's own worker: neither subscription took it.
    const own = await must(s, CLAIM, { i: { workerId: 'owner', projectId: mine.id } });
    expect(own.claimNextStep).not.toBeNull();
    expect(named.values).toEqual([]);
    expect(unnamed.values).toEqual([]);
    named.unsubscribe();
    unnamed.unsubscribe();
    await otherClient.dispose();
  });
});

describe('claimedStep, looking for steps of lost workers', () => {
  let s: TestServer;
  let client: Client;
  beforeAll(async () => {
    // A 1 s lease: the look for lost workers' steps comes every second.
    s = await startTestServer({ workerLeaseSeconds: 1 });
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  it('costs this process a statement per look, not a claim per waiting filter, while no worker is lost', async () => {
    const project = await createProject(s);
    const rooms = 40;
    // Distinct run groups: 40 filters, none sharing a turn with another.
    const subs = Array.from({ length: rooms }, (_, i) =>
      collect<Claimed>(client, CLAIMED, {
        i: { workerId: `idle${i}`, projectId: project.id, runGroupId: crypto.randomUUID() },
      }),
    );
    // Every first look done: each checked its worker in, finding nothing.
    const checkedIn = async () => Number((await s.db('worker').where({ projectId: project.id }).count())[0]!.count);
    for (let i = 0; i < 500 && (await checkedIn()) < rooms; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await waitingClaims(s)).toBe(rooms);
    // Three looks' worth of time (a rate over a window: no race to force).
    const idle = await s.countStatements(() => new Promise((r) => setTimeout(r, 3_000)));
    for (const sub of subs) sub.unsubscribe();
    expect({
      claims: idle.sql.filter((q) => q.includes('claimNextStep')).length,
      // The bus's own safety poll runs meanwhile too; a claim per filter and look would be 360.
      fewerThanTheFilters: idle.count < rooms / 2,
    }).toEqual({ claims: 0, fewerThanTheFilters: true });
  });

  it('finds a lost step for a waiting filter however many other filters have lost steps nobody waits for', async () => {
    // Another project's workers all died, leaving RUNNING steps in many run groups (more filters
    // than one look reads) that no worker of this process waits for. Its id sorts before this
    // test's project: a look that reads rows in that order reaches the crowd first.
    const project = await createProject(s);
    let crowd = await makeProject(s.db);
    while (crowd.id > project.id) crowd = await makeProject(s.db);
    const dead = await makeWorker(s.db, crowd.id, 'dead', 3600);
    // 2,000 of them, in one statement: twice what one look reads.
    await s.db.raw(
      `with d as (
         insert into document (project_id, hash, mime_type, file_size)
         select :project, 'sha256-' || encode(sha256(convert_to(:project || g, 'UTF8')), 'hex'), 'text/plain', 1
           from generate_series(1, 2000) g returning id
       ), dn as (select id, row_number() over () n from d),
       gr as (
         insert into run_group (project_id, workflow_definition_id, name)
         select :project, 'wf', 'crowd-' || g from generate_series(1, 2000) g returning id
       ), gn as (select id, row_number() over () n from gr),
       r as (
         insert into run (project_id, run_group_id, document_id, workflow_definition_id, status)
         select :project, gn.id, dn.id, 'wf', 'RUNNING' from dn join gn using (n) returning id
       )
       insert into step (project_id, run_id, number, name, type, is_last_step, status, worker_id)
       select :project, r.id, 1, 'route', 'ROUTE', true, 'RUNNING', :dead from r`,
      { project: crowd.id, dead },
    );
    // Here a worker waits, and the worker holding this project's step goes silent after that
    // waiter's first look: only the look for lost workers' steps can tell the waiter.
    const batch = await createBatch(s, project.id, 1);
    // A retry left: a takeover is then a claim, not FAILED.
    await startRunGroup(s, batch.id, [{ name: 'route', type: 'ROUTE', maxRetries: 1 }]);
    const held = await must<{ claimNextStep: { id: string } }>(s, CLAIM, {
      i: { workerId: 'silent', projectId: project.id },
    });
    const sub = collect<Claimed>(client, CLAIMED, { i: { workerId: 'heir', projectId: project.id } });
    const checkedIn = () => s.db('worker').where({ id: 'heir', projectId: project.id }).first();
    for (let i = 0; i < 500 && !(await checkedIn()); i++) await new Promise((r) => setTimeout(r, 10));
    await s
      .db('worker')
      .where({ id: 'silent', projectId: project.id })
      .update({ lastCheckinAt: s.db.raw(`now() - interval '1 hour'`) });
    // Looks come every second: five of them.
    for (let i = 0; i < 500 && sub.values.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    sub.unsubscribe();
    expect(sub.values.map((v) => v.claimedStep.id)).toEqual([held.claimNextStep.id]);
  });
});
