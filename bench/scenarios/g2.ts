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
    const g2 = median(g2a) / median(g2c);
    const g2plain = median(g2a) / median(g2b);
    const g2bare = median(g2c) / median(g2b);
    rows.push({
      id: 'G2',
      scenario: '{ __typename } vs bare Apollo Server (bench/bare-apollo.ts), 10 connections',
      figures: `${median(g2a).toFixed(0)} vs ${median(g2c).toFixed(0)} req/s; plain http with the same bytes: ${median(g2b).toFixed(0)} req/s (runledger ${g2plain.toFixed(2)}x, bare Apollo ${g2bare.toFixed(2)}x of it)`,
      ratio: `${g2.toFixed(2)}x`,
      target: '>= 0.9x of bare Apollo',
      met: g2 >= 0.9,
      note:
        g2 >= 0.9
          ? undefined
          : 'PROFILE.md, G2: what runledger adds to Apollo (auth, limits, cost analysis, metrics, logging).',
    });
    results.G2 = { runledger: g2a, plainHttp: g2b, bareApollo: g2c };
  },
};
