// N1: SQL statements per request of the run-group page, by group size: flat, <= one per level.
import { gql, metric, PAGE, QUERY_STATEMENTS, type Scenario } from '../harness';

export const n1: Scenario = {
  ids: ['N1'],
  groupSizes: [0, 1, 2],
  async run({ S, rl, groups, rows }) {
    const n1: Record<number, number> = {};
    for (const size of S.sizes) {
      const before = await metric(rl.url, QUERY_STATEMENTS);
      await gql(rl.url, PAGE, { id: groups[size] });
      n1[size] = (await metric(rl.url, QUERY_STATEMENTS)) - before;
    }
    const n1Values = Object.values(n1);
    rows.push({
      id: 'N1',
      scenario: 'SQL statements per run-group page request',
      figures: S.sizes.map((s) => `${s} runs: ${n1[s]}`).join(', '),
      ratio: `${Math.max(...n1Values)}/${Math.min(...n1Values)}`,
      target: 'equal at every size, <= 1 per level',
      met: new Set(n1Values).size === 1,
    });
  },
};
