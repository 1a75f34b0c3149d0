// M4: M2's updates with live events on (NOTIFY, and a subscriber listening) vs off
// (the `quiet` server, LIVE_EVENTS=false).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { KEY, median, type Scenario } from '../harness';
import { updateLoad } from './updates';

export const m4: Scenario = {
  ids: ['M4'],
  groupSizes: [2],
  async run(b) {
    const { S, rl, quiet, groups, rows } = b;
    const load = await updateLoad(b);
    const client = createClient({
      url: `${rl.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${KEY}` },
      retryAttempts: 0,
    });
    const stop = client.subscribe(
      {
        query: `subscription ($g: ID) { stepStatusChanged(filter: { runGroupId: $g }) { status } }`,
        variables: { g: groups[S.sizes[2]] },
      },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    const on: number[] = [];
    const off: number[] = [];
    for (let r = 0; r < S.rounds; r++) {
      on.push(await load.viaApi(rl.url));
      off.push(await load.viaApi(quiet.url));
    }
    stop();
    await client.dispose();
    const m4 = median(on) / median(off);
    rows.push({
      id: 'M4',
      scenario: 'M2 with live events on (NOTIFY + a subscriber) vs off (LIVE_EVENTS=false)',
      figures: `${median(on).toFixed(0)} vs ${median(off).toFixed(0)} updates/s`,
      ratio: `${m4.toFixed(2)}x`,
      target: '>= 0.9x',
      met: m4 >= 0.9,
      note:
        m4 >= 0.9
          ? undefined
          : 'PROFILE.md, M4: the on side also wakes the bus and executes the subscriber payload on the same process and cores as the writes; not profiled apart yet.',
    });
  },
};
