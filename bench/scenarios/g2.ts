// G2: `{ __typename }` against the same bytes from plain http, and against bare Apollo Server
// (bench/bare-apollo.ts: the same @apollo/server with nothing of runledger's).
import { cannon, median, type Scenario } from '../harness';

export const g2: Scenario = {
  ids: ['G2'],
  groupSizes: [],
  async run({ S, rl, floor, rows, results, start }) {
    const bare = await start('bench/bare-apollo.ts', {});
    const g2a: number[] = [];
    const g2b: number[] = [];
    const g2c: number[] = [];
    const typename = JSON.stringify({ query: '{ __typename }' });
    for (let r = 0; r < S.rounds; r++) {
      g2a.push((await cannon(rl.url, { body: typename, connections: 10, seconds: S.seconds })).rps);
      g2b.push((await cannon(floor.url, { body: '{}', connections: 10, seconds: S.seconds, path: '/typename' })).rps);
      g2c.push((await cannon(bare.url, { body: typename, connections: 10, seconds: S.seconds, path: '/' })).rps);
    }
    bare.proc.kill('SIGTERM');
    const g2 = median(g2a) / median(g2b);
    const g2bare = median(g2c) / median(g2b);
    rows.push({
      id: 'G2',
      scenario: '{ __typename } vs plain http (10 connections)',
      figures: `${median(g2a).toFixed(0)} vs ${median(g2b).toFixed(0)} req/s; bare Apollo Server (no auth, limits, metrics): ${median(g2c).toFixed(0)} req/s (${g2bare.toFixed(2)}x of plain http; runledger ${(median(g2a) / median(g2c)).toFixed(2)}x of bare Apollo)`,
      ratio: `${g2.toFixed(2)}x`,
      target: '>= 0.35x',
      met: g2 >= 0.35,
      note:
        g2 >= 0.35
          ? undefined
          : `Profile (PROFILE.md, G2): Apollo Server itself, with nothing added, reaches ${g2bare.toFixed(2)}x of plain http on this machine; the target is below what the chosen stack can do. What runledger adds (auth, limits, cost analysis, metrics, logging) is the rest.`,
    });
    results.G2 = { runledger: g2a, plainHttp: g2b, bareApollo: g2c };
  },
};
