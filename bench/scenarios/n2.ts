// N2: the run-group page, runledger vs the hand-written floor (bench/floor.ts), alternating rounds.
import { cannon, median, PAGE, type CannonResult, type Scenario } from '../harness';

export const n2: Scenario = {
  ids: ['N2'],
  groupSizes: [0],
  async run({ S, rl, floor, groups, rows, results }) {
    const pageBody = JSON.stringify({ query: PAGE, variables: { id: groups[S.sizes[0]] } });
    const n2: string[] = [];
    let n2Met = true;
    for (const c of S.concurrency) {
      const a: CannonResult[] = [];
      const b: CannonResult[] = [];
      for (let r = 0; r < S.rounds; r++) {
        a.push(await cannon(rl.url, { body: pageBody, connections: c, seconds: S.seconds, warmupSeconds: S.seconds }));
        b.push(
          await cannon(floor.url, {
            body: pageBody,
            connections: c,
            seconds: S.seconds,
            warmupSeconds: S.seconds,
            path: '/page',
          }),
        );
      }
      const ra = median(a.map((x) => x.rps));
      const rb = median(b.map((x) => x.rps));
      const ratio = ra / rb;
      if (ratio < 0.6) n2Met = false;
      n2.push(
        `c=${c}: ${ra.toFixed(0)} vs ${rb.toFixed(0)} req/s (${ratio.toFixed(2)}x), p50/p99 ${median(a.map((x) => x.p50))}/${median(a.map((x) => x.p99))} ms vs ${median(b.map((x) => x.p50))}/${median(b.map((x) => x.p99))} ms`,
      );
      results[`N2_c${c}`] = { runledger: a, floor: b };
    }
    rows.push({
      id: 'N2',
      scenario: `page query (group of ${S.sizes[0]} runs) vs hand-written floor`,
      figures: n2.join('; '),
      ratio: n2.map((x) => x.match(/\(([\d.]+)x\)/)![1]).join(' / '),
      target: '>= 0.6x floor at each connection count',
      met: n2Met,
      note: n2Met
        ? undefined
        : 'Profile (PROFILE.md, N2): decoding ~1,000 rows in pg (with the jsonb and timestamps a page does not ask for left out), GC and graphql-js execution over ~2,500 fields, on cores shared with PostgreSQL; graphql-jit made no difference. SQL is 7 statements, flat (N1).',
    });
  },
};
