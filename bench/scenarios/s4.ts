// S4: idle subscriptions one process holds, and the memory each costs, on a fresh process
// (the others' heaps hold garbage of the earlier scenarios that GC may free mid-measurement).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { KEY, metric, sleep, type Scenario } from '../harness';

export const s4: Scenario = {
  ids: ['S4'],
  groupSizes: [],
  async run({ S, smoke, env, rows, results, start }) {
    const server = await start('src/index.ts', env);
    await sleep(2000); // let start-up garbage settle
    const rss = () => metric(server.url, 'runledger_process_resident_memory_bytes');
    const heap = () => metric(server.url, 'runledger_nodejs_heap_size_used_bytes');
    // Memory per subscription is the slope between half and all of them: the young
    // generation (64 MB semi-spaces, npm start) grows once, early, and is not per subscription.
    const idleClients = Array.from({ length: Math.ceil(S.idle / 500) }, () =>
      createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${KEY}` },
        retryAttempts: 0,
      }),
    );
    const idleStops: (() => void)[] = [];
    const holdIdle = async (count: number) => {
      for (let i = idleStops.length; i < count; i++) {
        idleStops.push(
          idleClients[i % idleClients.length]!.subscribe(
            {
              query: `subscription ($g: ID) { lifecycleEvents(filter: { runGroupId: $g }) { id } }`,
              variables: { g: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
            },
            { next: () => undefined, error: () => undefined, complete: () => undefined },
          ),
        );
      }
      const deadline = Date.now() + 120_000;
      while ((await metric(server.url, 'runledger_subscriptions_active')) < count && Date.now() < deadline)
        await sleep(250);
      // Idle means idle: V8's memory reducer collects the garbage of subscribing a few
      // seconds after allocation stops.
      await sleep(smoke ? 1000 : 15_000);
      return {
        active: await metric(server.url, 'runledger_subscriptions_active'),
        rss: await rss(),
        heap: await heap(),
      };
    };
    const half = await holdIdle(S.idle / 2);
    const all = await holdIdle(S.idle);
    const active = all.active;
    const perSubRss = (all.rss - half.rss) / (all.active - half.active);
    const perSubHeap = (all.heap - half.heap) / (all.active - half.active);
    results.S4 = { half, all };
    idleStops.forEach((s) => s());
    await Promise.all(idleClients.map(async (c) => c.dispose()));
    rows.push({
      id: 'S4',
      scenario: 'idle subscriptions held by one process; memory per subscription',
      figures: `${active} held (RSS ${(all.rss / 2 ** 20).toFixed(0)} MB, heap ${(all.heap / 2 ** 20).toFixed(0)} MB); from ${half.active} to ${all.active}: ${(perSubRss / 1024).toFixed(1)} KB RSS, ${(perSubHeap / 1024).toFixed(1)} KB heap each`,
      ratio: '-',
      target: '>= 10,000; <= 15 KB each',
      met:
        perSubRss <= 0 || perSubHeap <= 0
          ? null
          : active >= (smoke ? S.idle : 10_000) && perSubRss <= 15 * 1024 && perSubHeap <= 15 * 1024,
      note:
        perSubRss <= 0 || perSubHeap <= 0
          ? 'memory fell during the measurement (GC): no valid figure'
          : perSubRss <= 15 * 1024 && perSubHeap <= 15 * 1024
            ? undefined
            : 'Profile (PROFILE.md, S4): graphql-ws operation, graphql-js subscription iterator, our queue and context per subscription.',
    });
  },
};
