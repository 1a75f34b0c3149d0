// S5: a stalled subscriber (its TCP socket stops reading) while ~100 events/s are committed for a
// minute (--smoke: 3 s). The same load first runs with a subscriber that reads (it warms the
// server up, V8's young generation above all), then with one that stops reading: the server's
// RSS stays flat through the second, because past SUBSCRIPTION_MAX_QUEUED_EVENTS (or
// WS_MAX_BUFFERED_BYTES) the socket is closed with 4008 instead of queueing for ever.
import net from 'node:net';
import type { Knex } from 'knex';
import WebSocket from 'ws';
import { sequenceLog } from '../../src/events/sequencer';
import { EVENTS_CHANNEL } from '../../src/services/lifecycleEvents';
import { KEY, log, metric, sleep, type Scenario } from '../harness';

/** statusMeta of each event: a realistic, not tiny, payload (--smoke: larger, to fill the socket in 3 s). */
const META_BYTES = 8 * 1024;
const SMOKE_META_BYTES = 64 * 1024;
/**
 * The queue limit of this scenario's server: at 100 events/s the default (2,000) would be
 * reached after ~20 s plus what the kernel's socket buffers hold, about when the keep-alive
 * (12 s ping, 12 s for its pong) terminates a socket that reads nothing at all.
 */
const MAX_QUEUED = { full: '500', smoke: '20' };

interface Phase {
  before: number;
  after: number;
  peak: number;
  produced: number;
  /** Close code the subscriber saw (null: still open at the end, as a reading one is). */
  code: number | null;
  /** Seconds into the phase when the server no longer had the subscription. */
  goneAtS: number | null;
}

export const s5: Scenario = {
  ids: ['S5'],
  groupSizes: [],
  async run({ smoke, env, db, projectId, rows, results, start }) {
    const seconds = smoke ? 3 : 60;
    const metaBytes = smoke ? SMOKE_META_BYTES : META_BYTES;
    const server = await start('src/index.ts', {
      ...env,
      SUBSCRIPTION_MAX_QUEUED_EVENTS: smoke ? MAX_QUEUED.smoke : MAX_QUEUED.full,
    });
    await sleep(2000); // let start-up garbage settle
    const rss = () => metric(server.url, 'runledger_process_resident_memory_bytes');
    const active = () => metric(server.url, 'runledger_subscriptions_active');

    const phase = async (stalled: boolean): Promise<Phase> => {
      let tcp: net.Socket | undefined;
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
        // net.createConnection is overloaded; ws calls it with one options object.
        createConnection: ((o: net.NetConnectOpts) => (tcp = net.connect(o))) as typeof net.createConnection,
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${KEY}` } }));
      await new Promise<void>((resolve) => ws.once('message', () => resolve()));
      ws.send(
        JSON.stringify({
          id: 'sub',
          type: 'subscribe',
          payload: {
            query: `subscription ($p: ID!) { lifecycleEvents(filter: { projectId: $p }) { cursor statusMeta } }`,
            variables: { p: projectId },
          },
        }),
      );
      while ((await active()) < 1) await sleep(50);
      if (stalled) tcp!.pause();
      const before = await rss();
      const { produced, samples, goneAtS } = await produce(db, projectId, seconds, metaBytes, rss, active);
      const after = await rss();
      tcp!.resume();
      ws.close();
      const code = await Promise.race([closed, sleep(35_000).then(() => null)]);
      ws.terminate();
      while ((await active()) > 0) await sleep(50);
      return { before, after, peak: Math.max(before, after, ...samples), produced, code, goneAtS };
    };

    const reading = await phase(false);
    const stalled = await phase(true);
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    const grew = (p: Phase) => `${mb(p.before)} -> ${mb(p.after)} MB (peak ${mb(p.peak)})`;
    results.S5 = { seconds, metaBytes, reading, stalled };
    log(
      `  S5: reading ${grew(reading)}; stalled ${grew(stalled)}, closed ${stalled.code} (gone at ${stalled.goneAtS?.toFixed(1) ?? '-'} s)`,
    );
    const flat = stalled.peak - stalled.before <= 32 * 2 ** 20;
    rows.push({
      id: 'S5',
      scenario: `a stalled subscriber (TCP not read) while ${Math.round(stalled.produced / seconds)} events/s of ${metaBytes / 1024} KiB meta commit for ${seconds} s, after the same load with a reading one`,
      figures: `RSS with a reading subscriber ${grew(reading)}; then with a stalled one ${grew(stalled)}, which the server let go of after ${stalled.goneAtS?.toFixed(0) ?? '-'} s (the client, reading again at the end, saw ${stalled.code ?? 'no close'})`,
      ratio: '-',
      target: 'RSS flat (peak <= +32 MB) while stalled; the server lets go of it',
      // The client sees the 4008 only if it reads again within ws's 30 s close timeout (the
      // close frame waits behind what its socket buffers hold); after that the server drops the
      // connection and the client sees 1006. The server let go of it either way.
      met: flat && stalled.goneAtS !== null,
      note: `SUBSCRIPTION_MAX_QUEUED_EVENTS=${smoke ? MAX_QUEUED.smoke : MAX_QUEUED.full}`,
    });
  },
};

/** ~100 events/s for `seconds`, as writer processes would commit them; samples RSS every second. */
async function produce(
  db: Knex,
  projectId: string,
  seconds: number,
  metaBytes: number,
  rss: () => Promise<number>,
  active: () => Promise<number>,
) {
  const pad = 'x'.repeat(metaBytes);
  const samples: number[] = [];
  let goneAtS: number | null = null;
  let produced = 0;
  let nextSample = 1000;
  // Every 20 ms the events are sequenced and the servers woken (NOTIFY), off the commit path so
  // the rate holds on a loaded machine.
  let producing = true;
  const wakeUps = (async () => {
    while (producing) {
      await sequenceLog(db);
      await db.raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, 'bench-s5']);
      await sleep(20);
    }
  })();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await db('lifecycle_event').insert({
      projectId,
      type: 'ITEM_END',
      status: 'COMPLETED',
      statusMeta: JSON.stringify({ n: produced, pad }),
    });
    produced++;
    const elapsed = performance.now() - started;
    if (elapsed >= nextSample) {
      nextSample += 1000;
      samples.push(await rss());
      if (goneAtS === null && (await active()) === 0) goneAtS = elapsed / 1000;
      process.stdout.write(`\r  S5 ${Math.floor(elapsed / 1000)}/${seconds} s, ${produced} events`);
    }
    await sleep(Math.max(0, produced * 10 - (performance.now() - started)));
  }
  producing = false;
  await wakeUps;
  process.stdout.write('\n');
  return { produced, samples, goneAtS };
}
