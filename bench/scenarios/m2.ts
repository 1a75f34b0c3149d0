// M2: updateStepStatus/s through GraphQL vs the same statements through pg, and behind plain
// Node http (the floor's /update: what the HTTP hop alone costs).
import { median, type Scenario } from '../harness';
import { updateLoad } from './updates';

export const m2: Scenario = {
  ids: ['M2'],
  groupSizes: [2],
  async run(b) {
    const { S, floor, rows, results } = b;
    const load = await updateLoad(b);
    const m2a: number[] = [];
    const m2b: number[] = [];
    const m2c: number[] = [];
    for (let r = 0; r < S.rounds; r++) {
      m2a.push(await load.viaApi());
      m2b.push(await load.viaPg());
      m2c.push(await load.viaApi(floor.url, '/update'));
    }
    const m2 = median(m2a) / median(m2c);
    const m2pg = median(m2a) / median(m2b);
    rows.push({
      id: 'M2',
      scenario: 'updateStepStatus/s, 8 clients: GraphQL vs the same statements behind plain Node http',
      figures: `${median(m2a).toFixed(0)} vs ${median(m2c).toFixed(0)} updates/s; the same statements straight through pg: ${median(m2b).toFixed(0)} updates/s (runledger ${m2pg.toFixed(2)}x of that)`,
      ratio: `${m2.toFixed(2)}x`,
      target: '>= 0.9x of plain http',
      met: m2 >= 0.9,
      note: m2 >= 0.9 ? undefined : "PROFILE.md, M2: Apollo's pipeline, input coercion and knex per update.",
    });
    results.M2 = { graphql: m2a, pg: m2b, plainHttp: m2c };
  },
};
