// What N3 and N4 share: one operation on runledger and its PostGraphile equivalent, checked to
// return the same data, then timed in alternating rounds with the same client, and their SQL
// statements per request counted the same way (pg_stat_statements) for both.
import { isDeepStrictEqual } from 'node:util';
import { cannon, gql, median, type Bench, type CannonResult } from '../harness';
import { checkAgainstIntrospection, peerQuery, peerServer, statementsPerRequest } from '../peer';

export interface Side {
  query: string;
  variables: Record<string, unknown>;
  /** The response's data in one shape both sides can be compared in. */
  normalise(data: unknown): unknown;
}

export interface PeerComparison {
  figures: string[];
  ratios: number[];
  p99Ok: boolean;
  statements: { ours: number; peer: number };
}

export async function compareWithPeer(
  b: Bench,
  id: string,
  ours: Side,
  peer: Side,
  connections: number[],
): Promise<PeerComparison> {
  const { S, rl, results } = b;
  const server = await peerServer(b);
  await checkAgainstIntrospection(server.url, peer.query);
  const a = ours.normalise(await gql(rl.url, ours.query, ours.variables));
  const p = peer.normalise(await peerQuery(server.url, peer.query, peer.variables));
  if (!isDeepStrictEqual(a, p))
    throw new Error(
      `${id}: runledger and PostGraphile return different data:\n${JSON.stringify(a).slice(0, 2000)}\n${JSON.stringify(p).slice(0, 2000)}`,
    );
  const oursStatements = await statementsPerRequest(b, () => gql(rl.url, ours.query, ours.variables));
  const peerStatements = await statementsPerRequest(b, () => peerQuery(server.url, peer.query, peer.variables));
  results[`${id}_statements`] = { runledger: oursStatements, peer: peerStatements };

  const oursBody = JSON.stringify({ query: ours.query, variables: ours.variables });
  const peerBody = JSON.stringify({ query: peer.query, variables: peer.variables });
  const figures: string[] = [];
  const ratios: number[] = [];
  let p99Ok = true;
  for (const c of connections) {
    const x: CannonResult[] = [];
    const y: CannonResult[] = [];
    for (let r = 0; r < S.rounds; r++) {
      x.push(await cannon(rl.url, { body: oursBody, connections: c, seconds: S.seconds, warmupSeconds: S.seconds }));
      y.push(
        await cannon(server.url, {
          body: peerBody,
          connections: c,
          seconds: S.seconds,
          warmupSeconds: S.seconds,
          headers: { 'content-type': 'application/json' },
        }),
      );
    }
    // Timeouts (autocannon's 10 s) and non-2xx answers, each side's own.
    const ours = x.reduce((n, r) => n + r.errors, 0);
    const theirs = y.reduce((n, r) => n + r.errors, 0);
    const errors = ours + theirs ? `, errors (timeouts, non-2xx): runledger ${ours}, peer ${theirs}` : '';
    const ra = median(x.map((r) => r.rps));
    const rb = median(y.map((r) => r.rps));
    const p99a = median(x.map((r) => r.p99));
    const p99b = median(y.map((r) => r.p99));
    if (p99a > p99b) p99Ok = false;
    ratios.push(ra / rb);
    figures.push(
      `c=${c}: ${ra.toFixed(0)} vs ${rb.toFixed(0)} req/s (${(ra / rb).toFixed(2)}x), p50/p99 ${median(x.map((r) => r.p50))}/${p99a} ms vs ${median(y.map((r) => r.p50))}/${p99b} ms${errors}`,
    );
    results[`${id}_c${c}`] = { runledger: x, peer: y };
  }
  return {
    figures,
    ratios,
    p99Ok,
    statements: { ours: oursStatements.perRequest, peer: peerStatements.perRequest },
  };
}
