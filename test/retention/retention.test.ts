import pg from 'pg';
import { DEFAULT_RETENTION, pruneOnce } from '../../src/services/retention';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { makeWorker } from '../helpers/factories';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const DAY = 24 * 3600_000;
const CREATE = `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id name } }`;

describe('retention on a real PostgreSQL, with an injected clock', () => {
  let s: TestServer;
  let projectId: string;
  beforeAll(async () => {
    s = await startTestServer();
    projectId = (await createProject(s)).id;
  });
  afterAll(() => s.stop());

  const later = (ms: number) => new Date(Date.now() + ms);

  it('expires idempotency keys after their window, in batches: the key can then be used again', async () => {
    for (let i = 0; i < 5; i++)
      await must(s, CREATE, { i: { projectId, name: `k${i}`, source: 'fs', idempotencyKey: `key-${i}` } });
    const reused = await s.gql(CREATE, { i: { projectId, name: 'other', source: 'fs', idempotencyKey: 'key-0' } });
    expect(errorCodes(reused)).toEqual(['CONFLICT']);
    // Within the window nothing goes.
    expect((await pruneOnce(s.db, DEFAULT_RETENTION, later(23 * 3600_000))).idempotencyKeys).toBe(0);
    const pass = await pruneOnce(s.db, { ...DEFAULT_RETENTION, batchSize: 2 }, later(25 * 3600_000));
    expect(pass).toMatchObject({ ran: true, idempotencyKeys: 5 });
    expect(Number((await s.db('idempotency_key').count({ n: '*' }).first())!.n)).toBe(0);
    const again = await s.gql(CREATE, { i: { projectId, name: 'other', source: 'fs', idempotencyKey: 'key-0' } });
    expect(again.errors).toBeUndefined();
  });

  it('prunes events older than the retention; a cursor from before it gets CURSOR_EXPIRED on both paths', async () => {
    const batch = await createBatch(s, projectId, 2);
    const group = await startRunGroup(s, batch.id);
    const first = await must(
      s,
      `query ($g: ID!) { lifecycleEvents(filter: { runGroupId: $g }, first: 1) { nodes { cursor } } }`,
      {
        g: group.id,
      },
    );
    const cursor = first.lifecycleEvents.nodes[0].cursor as string;
    // Events after the cursor, which pruning then takes: resuming from it would miss them.
    await must(s, `mutation ($id: ID!) { cancelRunGroup(id: $id) { id } }`, { id: group.id });
    const kept = await pruneOnce(s.db, DEFAULT_RETENTION, later(29 * DAY));
    expect(kept.events).toBe(0);
    const pass = await pruneOnce(s.db, { ...DEFAULT_RETENTION, batchSize: 3 }, later(31 * DAY));
    expect(pass.events).toBeGreaterThan(0);
    expect(Number((await s.db('lifecycle_event').count({ n: '*' }).first())!.n)).toBe(0);

    const listed = await s.gql(`query ($a: String!) { lifecycleEvents(filter: {}, after: $a) { nodes { id } } }`, {
      a: cursor,
    });
    expect(errorCodes(listed)).toEqual(['BAD_USER_INPUT']);
    expect(listed.errors![0]!.extensions).toMatchObject({ reason: 'CURSOR_EXPIRED' });
    const client = wsClient(s.url);
    const sub = collect(client, `subscription ($a: String) { lifecycleEvents(filter: {}, after: $a) { id } }`, {
      a: cursor,
    });
    await sub.waitForEnd();
    expect(JSON.stringify(sub.errors)).toMatch(/CURSOR_EXPIRED/);
    await client.dispose();
  });

  it('removes workers long silent and running nothing, and step configs no step uses', async () => {
    const silent = await makeWorker(s.db, projectId, `silent-${Date.now()}`);
    const batch = await createBatch(s, projectId, 1);
    const group = await startRunGroup(s, batch.id, [{ name: 'only', type: 'PARSE', config: { unique: Date.now() } }]);
    const configIds = (
      (await s
        .db('step')
        .join('run', 'run.id', 'step.runId')
        .where('run.runGroupId', group.id)
        .select('step.stepConfigId')) as { stepConfigId: string }[]
    ).map((r) => r.stepConfigId);
    expect(configIds.length).toBe(1);
    await must(s, `mutation ($id: ID!) { deleteRunGroup(id: $id) { totalDeleted } }`, { id: group.id });
    const pass = await pruneOnce(s.db, DEFAULT_RETENTION, later(31 * DAY));
    expect(pass.workers).toBeGreaterThanOrEqual(1);
    expect(await s.db('worker').where({ id: silent }).first()).toBeUndefined();
    expect(pass.stepConfigs).toBeGreaterThanOrEqual(1);
    expect(await s.db('step_config').whereIn('id', configIds).first()).toBeUndefined();
  });

  const lease = async () =>
    (await s.db.raw(`select holder, expires_at > now() as live from retention_lease`)).rows as {
      holder: string | null;
      live: boolean;
    }[];
  const keysLeft = async () => Number((await s.db('idempotency_key').count({ n: '*' }).first())!.n);

  it("runs on one replica at a time: a pass finds another replica's lease and does nothing, until it expires", async () => {
    await must(s, CREATE, { i: { projectId, name: 'locked', source: 'fs', idempotencyKey: 'locked-key' } });
    // Another replica's pass holds the lease (between two of its batches).
    await s.db.raw(`update retention_lease set holder = 'other replica', expires_at = now() + interval '1 minute'`);
    expect(await pruneOnce(s.db, DEFAULT_RETENTION, later(2 * DAY))).toEqual({
      ran: false,
      idempotencyKeys: 0,
      events: 0,
      workers: 0,
      stepConfigs: 0,
    });
    expect(await lease()).toEqual([{ holder: 'other replica', live: true }]);
    // That replica was killed mid-pass: its lease runs out, and the next pass takes it.
    await s.db.raw(`update retention_lease set expires_at = now() - interval '1 second'`);
    expect(await pruneOnce(s.db, DEFAULT_RETENTION, later(2 * DAY))).toMatchObject({ ran: true, idempotencyKeys: 1 });
    // A pass gives the lease back when it is done.
    expect(await lease()).toEqual([{ holder: null, live: false }]);
  });

  it('a pass that lost its lease to another replica stops before its next batch', async () => {
    // One row per batch: a pass that went on after losing the lease would delete them all.
    const KEYS = 5;
    for (let i = 0; i < KEYS; i++)
      await must(s, CREATE, { i: { projectId, name: `lost${i}`, source: 'fs', idempotencyKey: `lost-${i}` } });
    const oldest = (await s.db('idempotency_key').orderBy('createdAt').first('id')) as { id: string };
    // Other sessions of their own, not connections of the server's pool, which the pass uses.
    const [rowLock, leaseLock, monitor] = [1, 2, 3].map(() => new pg.Client({ connectionString: s.database.url }));
    await Promise.all([rowLock, leaseLock, monitor].map((c) => c!.connect()));
    const waiting = async (sql: string) => {
      for (;;) {
        const { rows } = await monitor!.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like $1`,
          [`${sql}%`],
        );
        if (rows[0]!.n > 0) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    try {
      // The pass's first batch (one row) waits for the oldest key, locked here...
      await rowLock!.query('begin');
      await rowLock!.query('select 1 from idempotency_key where id = $1 for update', [oldest.id]);
      const pass = pruneOnce(s.db, { ...DEFAULT_RETENTION, batchSize: 1 }, later(2 * DAY));
      await waiting('delete from idempotency_key');
      // ...while another replica queues for the lease row the batch holds. When the batch
      // commits, the queued replica usually gets the row before the pass's next renewal; under
      // load the renewal may get in first (a row whose updater committed is free to the first
      // comer), and a later one waits instead: the takeover lands between two batches either way.
      await leaseLock!.query('begin');
      const taken = leaseLock!.query('select holder from retention_lease for update');
      await waiting('select holder from retention_lease');
      await rowLock!.query('rollback');
      await taken;
      await waiting('update retention_lease');
      // The other replica takes over the lease (as if this pass had stalled past it).
      await leaseLock!.query(
        `update retention_lease set holder = 'other replica', expires_at = now() + interval '1 minute'`,
      );
      await leaseLock!.query('commit');
      const result = await pass;
      expect(result.ran).toBe(true);
      expect(result.idempotencyKeys).toBeGreaterThanOrEqual(1);
      expect(result.idempotencyKeys).toBeLessThan(KEYS);
      expect(await keysLeft()).toBe(KEYS - result.idempotencyKeys);
      // The pass leaves the other replica's lease alone.
      expect(await lease()).toEqual([{ holder: 'other replica', live: true }]);
    } finally {
      await Promise.all([rowLock, leaseLock, monitor].map((c) => c!.end()));
      await s.db.raw(`update retention_lease set holder = null, expires_at = '-infinity'`);
    }
  });
});
