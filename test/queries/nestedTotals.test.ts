// totalCount read from a nested page's statement (src/loaders/rows.ts
// childPageLoader withTotal) and RunGroup.progress read from the group's row.
import { createBatch, createProject, must, startRunGroup, setStatus } from '../helpers/api';
import { holdLocks } from '../helpers/locks';
import { startTestServer, type TestServer } from '../helpers/server';

const CLAIM = `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`;
const KEY = `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

/** A group of 4 runs: 1 COMPLETED, 1 RUNNING, 2 PENDING. */
async function group(projectId: string) {
  const batch = await createBatch(s, projectId, 4);
  const g = await startRunGroup(s, batch.id, [{ name: 'one', type: 'INGEST' }]);
  const first = (await must(s, CLAIM, { i: { workerId: 'w', projectId, runGroupId: g.id } })).claimNextStep;
  await setStatus(s, first.id, 'COMPLETED');
  await must(s, CLAIM, { i: { workerId: 'w', projectId, runGroupId: g.id } });
  return { batchId: batch.id, groupId: g.id };
}

const TOTALS = `query ($g: ID!, $after: String) {
  runGroup(id: $g) {
    progress { total completed running pending }
    all: runs(first: 1) { totalCount pageInfo { endCursor } }
    allAgain: runs(first: 3) { totalCount }
    done: runs(first: 1, filter: { status: [COMPLETED] }) { totalCount }
    open: runs(first: 5, filter: { status: [PENDING, RUNNING] }) { totalCount nodes { id } }
    none: runs(first: 1, filter: { status: [FAILED] }) { totalCount }
    later: runs(first: 1, after: $after) { totalCount }
    laterDone: runs(first: 1, after: $after, filter: { status: [COMPLETED] }) { totalCount }
  }
}`;

describe('nested totalCount and progress', () => {
  it('counts each alias with its own arguments, under a filter and after a cursor, for an admin and a project key', async () => {
    const p = (await createProject(s)).id;
    const other = (await createProject(s)).id;
    const { groupId } = await group(p);
    await group(other); // the same shape in another project, for the admin key's statements
    const first = await must(s, TOTALS, { g: groupId });
    const after = first.runGroup.all.pageInfo.endCursor as string;
    const admin = (await must(s, TOTALS, { g: groupId, after })).runGroup;
    const secret = (await must(s, KEY, { i: { projectId: p, role: 'READER' } })).createApiKey.secret;
    const own = (await s.gql(TOTALS, { g: groupId, after }, { authorization: `Bearer ${secret}` })).data!.runGroup;
    const otherSecret = (await must(s, KEY, { i: { projectId: other, role: 'READER' } })).createApiKey.secret;
    const foreign = await s.gql(TOTALS, { g: groupId, after }, { authorization: `Bearer ${otherSecret}` });
    for (const g of [admin, own]) {
      expect(g.progress).toEqual({ total: 4, completed: 1, running: 1, pending: 2 });
      expect({
        all: g.all.totalCount,
        allAgain: g.allAgain.totalCount,
        done: g.done.totalCount,
        open: g.open.totalCount,
        openNodes: g.open.nodes.length,
        none: g.none.totalCount,
        later: g.later.totalCount,
        laterDone: g.laterDone.totalCount,
      }).toEqual({ all: 4, allAgain: 4, done: 1, open: 3, openNodes: 3, none: 0, later: 4, laterDone: 1 });
    }
    expect(foreign.data?.runGroup ?? null).toBeNull();
  });

  it("gives a group's events the same totalCount on its first page and after a cursor", async () => {
    const p = (await createProject(s)).id;
    const { batchId, groupId } = await group(p);
    const EVENTS = `query ($g: ID!, $after: String) { runGroup(id: $g) {
      first: events(first: 1) { totalCount pageInfo { endCursor } }
      later: events(first: 1, after: $after) { totalCount } } }`;
    const { endCursor } = (await must(s, EVENTS, { g: groupId })).runGroup.first.pageInfo;
    // One event of the group committed and not yet given its position (the sequencer is busy:
    // its head row is held by another session, as a long sequencing run would).
    const holder = await holdLocks(s.db);
    await holder.lock('select 1 from event_log_head');
    try {
      await s
        .db('lifecycle_event')
        .insert({ projectId: p, batchId, runGroupId: groupId, type: 'GROUP_END', status: 'COMPLETED' });
      const g = (await must(s, EVENTS, { g: groupId, after: endCursor })).runGroup;
      // Observed: { first: 7, later: 8 }: the first page counts sequenced events only (the page's
      // statement, sequencedOnly), a later page counts every row (childCountLoader, no
      // sequencedOnly), so two aliases of one connection in one response disagree.
      expect({ first: g.first.totalCount, later: g.later.totalCount }).toEqual({
        first: g.first.totalCount,
        later: g.first.totalCount,
      });
    } finally {
      await holder.release();
    }
  });
});
