// D1, D2: runledger as deployed (README "Deploying"): two replicas on PgBouncer in transaction
// mode, each with a direct LISTEN URL. D1: the cross-replica hop, a commit through replica A
// to its delivery to a subscriber on replica B. D2: workers' writes through the pooler vs
// direct. Needs Debian's pgbouncer (test/helpers/deployment.ts finds it, or says what is missing).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { findTools, startPgBouncer } from '../../test/helpers/deployment';
import { commitClock, EVENT_COMMIT_MS } from '../commitTimes';
import { gql, KEY, median, metric, pct, sleep, type Bench, type Scenario } from '../harness';
import { seedGroup } from '../seed';

/** PgBouncer's server connections: the replicas' DB_POOL_MAX (20), so the pool is not what limits D2. */
const POOL_SIZE = 20;

export const deployment: Scenario = {
  ids: ['D1', 'D2'],
  groupSizes: [0],
  async run(b) {
    let tools;
    try {
      tools = findTools();
    } catch (e) {
      for (const id of ['D1', 'D2'])
        b.rows.push({
          id,
          scenario: id === 'D1' ? 'cross-replica hop through PgBouncer' : 'writes through PgBouncer vs direct',
          figures: '-',
          ratio: '-',
          target: id === 'D1' ? 'p99 <= 10 ms' : '>= 0.8x',
          met: null,
          note: (e as Error).message,
        });
      return;
    }
    const bouncer = await startPgBouncer(tools, { databases: { bench: b.databaseUrl }, poolSize: POOL_SIZE });
    b.onStop(() => bouncer.stop());
    const env = { ...b.env, DATABASE_URL: bouncer.url('bench'), DATABASE_LISTEN_URL: b.databaseUrl };
    // A and B on the pooler; C direct, to hop from `rl` (direct too) as the reference.
    const [a, bb, c] = await Promise.all([
      b.start('src/index.ts', env),
      b.start('src/index.ts', env),
      b.start('src/index.ts', b.env),
    ]);
    const pooled = await hop(b, a!.url, bb!.url, b.smoke ? 7 : 17);
    const direct = await hop(b, b.rl.url, c!.url, b.smoke ? 9 : 19);
    b.results.D1 = { pooled, direct };
    const ms = (x: { p50: number; p99: number }) => `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms`;
    // From the commit when the database keeps commit times (the bench's own cluster does).
    const main = (h: Hop) => h.fromCommit ?? h.fromAck;
    const show = (h: Hop) =>
      `${ms(main(h))} (${h.delivered}/${h.events}; ` +
      (h.fromCommit ? `from A's response ${ms(h.fromAck)}; ` : '') +
      `from the request's start ${ms(h.fromSend)})`;
    const since = pooled.fromCommit
      ? 'commit on replica A (its commit time in PostgreSQL)'
      : 'commit acknowledged by replica A';
    b.rows.push({
      id: 'D1',
      scenario: `cross-replica hop: ${since} to delivery on replica B, through PgBouncer (transaction mode) vs direct`,
      figures: `pooler: ${show(pooled)}; direct: ${show(direct)}`,
      ratio: `p99 ${(main(pooled).p99 / main(direct).p99).toFixed(1)}x direct`,
      target: 'p99 <= 10 ms through the pooler',
      met: pooled.delivered === pooled.events && main(pooled).p99 <= 10,
      note:
        'A hop is the sequencing statement on A (it carries the NOTIFY), then a log read on B (`step { id }` comes from the event): two statements through the pooler, on the same two cores as both replicas, PgBouncer and PostgreSQL. ' +
        "A's response comes after the sequencing, so delivery on B races it (hence the small figures from the response).",
    });
    await throughput(b, a!.url);
  },
};

interface Hop {
  events: number;
  delivered: number;
  /** From the write's commit (PostgreSQL's commit time), when the database keeps commit times. */
  fromCommit: { p50: number; p99: number } | null;
  fromAck: { p50: number; p99: number };
  fromSend: { p50: number; p99: number };
}

/**
 * One update at a time through `writer`, every ~10 ms, each timed to its arrival at a subscriber
 * on `reader`. `runs` sizes a group of its own (a size no other scenario seeds).
 */
async function hop(b: Bench, writer: string, reader: string, runs: number): Promise<Hop> {
  const gid = await seedGroup(writer, b.projectId, runs, 0);
  const client = createClient({
    url: `${reader.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY}` },
    retryAttempts: 0,
  });
  const arrived = new Map<string, number>();
  const stop = client.subscribe<{ stepStatusChanged: { status: string; step: { id: string } } }>(
    {
      query: `subscription ($g: ID) { stepStatusChanged(filter: { runGroupId: $g }) { status step { id } } }`,
      variables: { g: gid },
    },
    {
      next: (r) =>
        arrived.set(`${r.data!.stepStatusChanged.step.id}:${r.data!.stepStatusChanged.status}`, performance.now()),
      error: () => undefined,
      complete: () => undefined,
    },
  );
  for (let i = 0; i < 400 && (await metric(reader, 'runledger_subscriptions_active')) < 1; i++) await sleep(10);
  // A notices B's LISTEN connection within its 1 s listener check: only then is the hop measured.
  await sleep(1200);
  const events = b.smoke ? 100 : 3 * b.S.events; // cheap: ~10 ms each
  const sent = new Map<string, { sent: number; acked: number }>();
  // A worker's two writes, in turn: the claim (a RUNNING event) and the report (COMPLETED).
  let held: string | null = null;
  for (let i = 0; i < events; i++) {
    const t0 = performance.now();
    if (held === null) {
      const claimed = await gql(writer, `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`, {
        i: { workerId: 'hop', runGroupId: gid },
      });
      held = (claimed.claimNextStep as { id: string } | null)?.id ?? null;
      if (held === null) break; // the group is done
      sent.set(`${held}:RUNNING`, { sent: t0, acked: performance.now() });
    } else {
      await gql(writer, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`, {
        i: { stepId: held, status: 'COMPLETED', workerId: 'hop' },
      });
      sent.set(`${held}:COMPLETED`, { sent: t0, acked: performance.now() });
      held = null;
    }
    await sleep(Math.max(0, 10 - (performance.now() - t0)));
  }
  const deadline = Date.now() + 10_000;
  while ([...sent.keys()].some((k) => !arrived.has(k)) && Date.now() < deadline) await sleep(20);
  stop();
  await client.dispose();
  const clock = await commitClock(b.db);
  const committed = new Map<string, number>();
  if (clock) {
    const { rows } = (await b.db.raw(
      `select step_id::text || ':' || status as k, ${EVENT_COMMIT_MS} as t from lifecycle_event
        where run_group_id = ? and type in ('STEP_START', 'STEP_END')`,
      [gid],
    )) as { rows: { k: string; t: string }[] };
    for (const row of rows) committed.set(row.k, clock.from(Number(row.t)));
  }
  const fromCommit: number[] = [];
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  for (const [key, t] of sent) {
    const at = arrived.get(key);
    if (at === undefined) continue;
    const commit = committed.get(key);
    if (commit !== undefined) fromCommit.push(at - commit);
    fromAck.push(at - t.acked);
    fromSend.push(at - t.sent);
  }
  return {
    events: sent.size,
    delivered: fromAck.length,
    fromCommit: clock && fromCommit.length ? { p50: pct(fromCommit, 50), p99: pct(fromCommit, 99) } : null,
    fromAck: { p50: pct(fromAck, 50), p99: pct(fromAck, 99) },
    fromSend: { p50: pct(fromSend, 50), p99: pct(fromSend, 99) },
  };
}

/** D2: eight workers claiming and completing steps through one replica, updates/s. */
async function workLoad(b: Bench, url: string, runs: number): Promise<number> {
  const gid = await seedGroup(url, b.projectId, runs, 0);
  const total = runs * 10;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (;;) {
        const claimed = await gql(url, `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`, {
          i: { workerId: `d2-${w}`, runGroupId: gid },
        });
        const step = (claimed.claimNextStep as { id: string } | null)?.id;
        if (!step) return;
        await gql(url, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`, {
          i: { stepId: step, status: 'COMPLETED', workerId: `d2-${w}` },
        });
        done += 2;
      }
    }),
  );
  if (done !== 2 * total) throw new Error(`D2: ${done / 2} of ${total} steps done`);
  return done / ((performance.now() - t0) / 1000);
}

/** D2: the same work through a replica on the pooler and through `rl` (direct), alternating. */
async function throughput(b: Bench, pooled: string): Promise<void> {
  const runs = b.smoke ? 10 : 40; // steps of 10 runs x 10 per round and side
  const viaPooler: number[] = [];
  const direct: number[] = [];
  for (let r = 0; r < b.S.rounds; r++) {
    // Group sizes no other scenario seeds (seedGroup names documents by size).
    viaPooler.push(await workLoad(b, pooled, 50 + runs + 2 * r));
    direct.push(await workLoad(b, b.rl.url, 51 + runs + 2 * r));
  }
  const ratio = median(viaPooler) / median(direct);
  b.results.D2 = { viaPooler, direct };
  b.rows.push({
    id: 'D2',
    scenario: 'writes (8 workers: claimNextStep + updateStepStatus) through PgBouncer vs direct to PostgreSQL',
    figures: `${median(viaPooler).toFixed(0)} vs ${median(direct).toFixed(0)} mutations/s`,
    ratio: `${ratio.toFixed(2)}x`,
    target: '>= 0.8x',
    met: ratio >= 0.8,
    note:
      ratio >= 0.8
        ? undefined
        : 'Not profiled: through the pooler every statement takes one more loopback hop, and PgBouncer competes for the same two cores.',
  });
}
