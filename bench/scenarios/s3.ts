// S3: commit-to-client latency at ~100 events/s, by subscribers on one process.
import type { Scenario } from '../harness';
import { subscriberLoads } from './subscribers';

export const s3: Scenario = {
  ids: ['S3'],
  groupSizes: [0],
  async run(b) {
    const loads = await subscriberLoads(b);
    const one = loads[0]!;
    const mid = loads[1]!;
    // Every subscriber receives every event (the test suite keeps to a few subscribers).
    const complete = loads.every((l) => l.delivered === l.expected);
    const met = complete && mid.p99 <= 100 && mid.p99 <= 5 * one.p99;
    b.rows.push({
      id: 'S3',
      scenario: 'commit-to-client latency at ~100 events/s, by subscribers on one process',
      figures: loads
        .map(
          (l) =>
            `${l.subscribers}: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms (${l.delivered}/${l.expected})`,
        )
        .join('; '),
      ratio: `p99(${mid.subscribers})/p99(${one.subscribers}) = ${(mid.p99 / one.p99).toFixed(1)}x`,
      target: 'every event delivered; p99 <= 100 ms at 1,000; p99(1,000) <= 5x p99(1)',
      met,
      note: met
        ? undefined
        : 'PROFILE.md, S1/S3: executions are shared per shape; what grows with subscribers is serialising and sending each message.',
    });
  },
};
