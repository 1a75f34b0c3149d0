// S1: per event, the bus pool's SQL statements and the GraphQL executions do not grow with the
// number of subscribers sharing a filter (S3's measurement, read differently).
import type { Scenario } from '../harness';
import { subscriberLoads } from './subscribers';

export const s1: Scenario = {
  ids: ['S1'],
  groupSizes: [0],
  async run(b) {
    const loads = await subscriberLoads(b);
    // The fewest subscribers against the middle count (1 vs 1,000 in the full run).
    const a = loads[0]!;
    const m = loads[1]!;
    b.rows.push({
      id: 'S1',
      scenario: `per event with ${a.subscribers} vs ${m.subscribers} subscribers sharing a filter: SQL statements (bus pool), GraphQL executions`,
      figures: `statements ${a.eventStatementsPerEvent.toFixed(1)} vs ${m.eventStatementsPerEvent.toFixed(1)}; executions ${a.payloadsPerEvent.toFixed(1)} vs ${m.payloadsPerEvent.toFixed(1)}`,
      ratio: `statements ${(m.eventStatementsPerEvent / Math.max(a.eventStatementsPerEvent, 0.01)).toFixed(2)}x, executions ${(m.payloadsPerEvent / Math.max(a.payloadsPerEvent, 0.01)).toFixed(2)}x`,
      target: 'independent of the subscriber count',
      met:
        m.eventStatementsPerEvent <= a.eventStatementsPerEvent * 1.1 && m.payloadsPerEvent <= a.payloadsPerEvent * 1.1,
    });
  },
};
