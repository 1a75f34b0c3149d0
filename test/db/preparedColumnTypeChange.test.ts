// A migration that changes a column's type under a running server. PostgreSQL keeps a
// named statement's parameter types from its first Parse; the unnamed statement of the same text
// would infer them again. Only 0A000 ("cached plan must not change result type") was treated as
// stale; the other re-analysis failures (src/db/preparedStatements.ts
// STALE_CODES) kept failing on every connection that had prepared it (before the fix).
import { CapturedLog, startTestServer, type TestServer } from '../helpers/server';

const QUERY = `query($s: [RunStatus!]) { runGroups(filter: { status: $s }, first: 5) { edges { node { id } } } }`;

describe('prepared statements across a column type change', () => {
  let t: TestServer;
  const log = new CapturedLog();
  beforeAll(async () => {
    t = await startTestServer({ poolMax: 1, log });
  });
  afterAll(() => t.stop());

  it('a request that worked before an enum migration works after it (as it does unnamed)', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(QUERY, { s: ['RUNNING'] });
      expect(res.errors).toBeUndefined();
    }
    // A migration under the running server: run_group.status text -> enum.
    const c = await t.db.client.acquireConnection();
    try {
      const constraints = (
        await c.query(
          `select conname from pg_constraint where conrelid = 'run_group'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%status%'`,
        )
      ).rows as { conname: string }[];
      for (const { conname } of constraints) await c.query(`alter table run_group drop constraint ${conname}`);
      await c.query(
        `create type run_group_status as enum ('PENDING','RUNNING','ERROR','COMPLETED','FAILED','CANCELLED')`,
      );
      await c.query(`alter table run_group alter column status drop default`);
      await c.query(`alter table run_group alter column status type run_group_status using status::run_group_status`);
      await c.query(`alter table run_group alter column status set default 'PENDING'`);
    } finally {
      await t.db.client.releaseConnection(c);
    }
    // Control: the same statement text, sent unnamed on the same pool, works after the migration.
    const text = `select count(*)::int as n from run_group where status in (?) /* review control */`;
    expect((await t.db.raw(text, ['RUNNING'])).rows).toEqual([{ n: 0 }]);
    const failures: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(QUERY, { s: ['RUNNING'] });
      if (res.errors) failures.push(`${res.errors[0]!.message}: ${log.errorOf(res.requestId!)?.err?.message}`);
    }
    expect(failures).toEqual([]);
  });
});
