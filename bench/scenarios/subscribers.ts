// The live-event load S3 and S1 report on: N subscribers of one run group's step status, ~100
// events/s committed through updateStepStatus; commit-to-client latency, and the bus pool's
// statements and GraphQL executions per event.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, KEY, metric, pct, sleep, type Bench, BENCH_WORKER } from '../harness';

export interface SubscriberLoad {
  subscribers: number;
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
  eventStatementsPerEvent: number;
  payloadsPerEvent: number;
}

/** Measures each of `S.subs` once per run (memoised: S3 and S1 share the measurement). */
export function subscriberLoads(b: Bench): Promise<SubscriberLoad[]> {
  return b.memo('subscriberLoads', async () => {
    const loads: SubscriberLoad[] = [];
    for (const n of b.S.subs) {
      loads.push(await measure(b, n));
      b.results[`S3_${n}`] = loads.at(-1);
    }
    return loads;
  });
}

async function measure({ S, rl, db, groups }: Bench, n: number): Promise<SubscriberLoad> {
  const gid = groups[S.sizes[0]]!;
  const clients = Array.from({ length: Math.max(1, Math.ceil(n / 250)) }, () =>
    createClient({
      url: `${rl.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${KEY}` },
      retryAttempts: 0,
    }),
  );
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let expected = 0;
  const stops = Array.from({ length: n }, (_, i) =>
    clients[i % clients.length]!.subscribe<{ stepStatusChanged: { status: string; step: { id: string } } }>(
      {
        query: `subscription ($g: ID) { stepStatusChanged(filter: { runGroupId: $g }) { status step { id } } }`,
        variables: { g: gid },
      },
      {
        next: (r) => {
          const key = `${r.data!.stepStatusChanged.step.id}:${r.data!.stepStatusChanged.status}`;
          const t = sent.get(key);
          if (t !== undefined) latencies.push(performance.now() - t);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    ),
  );
  await sleep(500 + n / 5); // subscriptions registering
  const stepsOfGroup = (await db('step')
    .join('run', 'run.id', 'step.runId')
    .where('run.runGroupId', gid)
    .select('step.id', 'step.status')
    .limit(S.events)) as { id: string; status: string }[];
  await db('step')
    .whereIn(
      'id',
      stepsOfGroup.map((s) => s.id),
    )
    .update({ status: 'RUNNING', workerId: BENCH_WORKER, maxRetries: 1_000_000 });
  const beforeStatements = await metric(rl.url, 'runledger_sql_statements_total{pool="events"}');
  const beforePayloads = await metric(rl.url, 'runledger_subscription_executions_total');
  for (const [i, s] of stepsOfGroup.entries()) {
    const key = `${s.id}:ERROR`;
    sent.set(key, performance.now());
    await gql(rl.url, `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id } }`, {
      i: { stepId: s.id, status: 'ERROR', workerId: BENCH_WORKER },
    });
    expected += n;
    // ~100 events/s: the next commit 10 ms after this one was sent.
    await sleep(Math.max(0, 10 - ((performance.now() - sent.get(key)!) % 10)));
    if (i % 20 === 0) process.stdout.write(`\r  S3 ${n} subscribers: ${i}/${stepsOfGroup.length} events`);
  }
  const deadline = Date.now() + 60_000;
  while (latencies.length < expected && Date.now() < deadline) await sleep(50);
  const statements = (await metric(rl.url, 'runledger_sql_statements_total{pool="events"}')) - beforeStatements;
  const payloads = (await metric(rl.url, 'runledger_subscription_executions_total')) - beforePayloads;
  stops.forEach((stop) => stop());
  await Promise.all(clients.map(async (c) => c.dispose()));
  process.stdout.write('\n');
  return {
    subscribers: n,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    delivered: latencies.length,
    expected,
    eventStatementsPerEvent: statements / stepsOfGroup.length,
    payloadsPerEvent: payloads / stepsOfGroup.length,
  };
}
