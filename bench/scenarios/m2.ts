// M2: updateStepStatus/s through GraphQL vs the same statements through pg, and behind plain
// Node http (the floor's /update: what the HTTP hop alone costs).
import { median, type Scenario } from '../harness';
import { updateLoad } from './updates';

export const m2: Scenario = {
  ids: ['M2'],
  groupSizes: [1],
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
    const m2 = median(m2a) / median(m2b);
    const m2http = median(m2a) / median(m2c);
    rows.push({
      id: 'M2',
      scenario: 'updateStepStatus/s, 8 clients: GraphQL vs the same statements through pg',
      figures: `${median(m2a).toFixed(0)} vs ${median(m2b).toFixed(0)} updates/s; the same statements behind plain Node http: ${median(m2c).toFixed(0)} updates/s (runledger ${m2http.toFixed(2)}x of that)`,
      ratio: `${m2.toFixed(2)}x`,
      target: '>= 0.7x',
      met: m2 >= 0.7,
      note:
        m2 >= 0.7
          ? undefined
          : `Profile (PROFILE.md, M2): an HTTP hop alone takes the same statements from ${median(m2b).toFixed(0)} to ${median(m2c).toFixed(0)} updates/s here (socket writes are a third of server CPU samples on this VM); the rest is Apollo, validation and knex per update.`,
    });
    results.M2 = { graphql: m2a, pg: m2b, plainHttp: m2c };
  },
};
