// When a change committed, on this process's clock: PostgreSQL keeps each transaction's commit
// time (track_commit_timestamp, on in the bench's own cluster), and lifecycle_event.tx_id names
// the transaction that wrote an event. W1 and D1 time latencies from the commit, as their
// issues define them, not from the response that comes after it.
import type { Knex } from 'knex';

/** An event's commit time as wall-clock ms (SQL, for a select over lifecycle_event). */
export const EVENT_COMMIT_MS = `extract(epoch from pg_xact_commit_timestamp((tx_id::text::bigint % 4294967296)::text::xid)) * 1000`;

export interface CommitClock {
  /** performance.now() on this process for a wall-clock time in ms read from PostgreSQL. */
  from(wallMs: number): number;
  /** Half the round trip the clocks were matched by: how far off `from` may be. */
  uncertaintyMs: number;
}

/**
 * PostgreSQL's clock against this process's, by the round trip that took least time (its
 * midpoint is off by at most half of it); null when the database keeps no commit times.
 */
export async function commitClock(db: Knex): Promise<CommitClock | null> {
  const { rows: shown } = (await db.raw(`show track_commit_timestamp`)) as {
    rows: { track_commit_timestamp: string }[];
  };
  if (shown[0]?.track_commit_timestamp !== 'on') return null;
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 50; i++) {
    const sent = performance.now();
    const { rows } = (await db.raw(`select extract(epoch from clock_timestamp()) * 1000 as t`)) as {
      rows: { t: string }[];
    };
    const back = performance.now();
    if (back - sent < best.rtt) best = { rtt: back - sent, offset: Number(rows[0]!.t) - (sent + back) / 2 };
  }
  return { from: (wallMs) => wallMs - best.offset, uncertaintyMs: best.rtt / 2 };
}
