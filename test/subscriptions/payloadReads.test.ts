// What a stepStatusChanged payload reads per event (issue 16, D1): `step { id }` and `run { id }`
// come from the event itself, while any other field of the step or run still loads its row.
import { STEPS, claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { collect, listening, wsClient } from '../helpers/ws';
import type { Client } from 'graphql-ws';

const changes = (fields: string) =>
  `subscription ($f: EventFilter!) { stepStatusChanged(filter: $f) { status ${fields} } }`;

describe('stepStatusChanged payload reads', () => {
  let s: TestServer;
  let client: Client;
  beforeAll(async () => {
    s = await startTestServer();
    client = wsClient(s.url);
  });
  afterAll(async () => {
    await client.dispose();
    await s.stop();
  });

  async function group() {
    const project = await createProject(s);
    const g = await startRunGroup(s, (await createBatch(s, project.id, 1)).id, STEPS);
    return { project, group: g };
  }

  /** The statements the server's bus pool runs (delivery work; the writes go through the request pool) during `fn`. */
  async function deliveryStatements(fn: () => Promise<unknown>): Promise<string[]> {
    const sql: string[] = [];
    const record = (q: { sql: string }) => sql.push(q.sql);
    s.server.bus.db.on('query', record);
    try {
      await fn();
    } finally {
      s.server.bus.db.off('query', record);
    }
    return sql;
  }

  const reads = (sql: string[], table: string) => sql.filter((q) => q.includes(`from "${table}"`));

  it('answers `step { id }` and `run { id }` from the event, with no read of the step or the run', async () => {
    const { project, group: g } = await group();
    const listened = listening(s);
    const sub = collect(client, changes('step { __typename id } run { id }'), { f: { runGroupId: g.id } });
    await listened(1);
    let step: Awaited<ReturnType<typeof claim>> = null;
    const sql = await deliveryStatements(async () => {
      step = await claim(s, 'w', { projectId: project.id });
      await sub.waitFor(1);
    });
    sub.unsubscribe();
    expect(sub.errors).toEqual([]);
    expect(sub.values).toEqual([
      {
        stepStatusChanged: { status: 'RUNNING', step: { __typename: 'Step', id: step!.id }, run: { id: step!.run.id } },
      },
    ]);
    // The log was read (the delivery is in the window), its step and run were not.
    expect(sql.some((q) => q.includes('from "lifecycle_event"'))).toBe(true);
    expect(reads(sql, 'step')).toEqual([]);
    expect(reads(sql, 'run')).toEqual([]);
  });

  it('still loads the step and the run when more than their ids is asked for, and returns their rows', async () => {
    const { project, group: g } = await group();
    const step = await claim(s, 'w', { projectId: project.id });
    const listened = listening(s);
    const sub = collect(client, changes('step { id name number status } run { id status }'), {
      f: { runGroupId: g.id },
    });
    await listened(1);
    const sql = await deliveryStatements(async () => {
      await setStatus(s, step!.id, 'COMPLETED');
      await sub.waitFor(1);
    });
    sub.unsubscribe();
    expect(sub.errors).toEqual([]);
    expect(sub.values).toEqual([
      {
        stepStatusChanged: {
          status: 'COMPLETED',
          step: { id: step!.id, name: 'ingest', number: 1, status: 'COMPLETED' },
          run: { id: step!.run.id, status: 'RUNNING' },
        },
      },
    ]);
    expect(reads(sql, 'step')).toHaveLength(1);
    expect(reads(sql, 'run')).toHaveLength(1);
  });

  it("gives a project's subscriber the ids of its own steps only, with `step { id }` alone", async () => {
    const mine = await group();
    const theirs = await group();
    const reader = await must(s, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
      i: { projectId: mine.project.id, role: 'READER' },
    });
    const scoped = wsClient(s.url, { connectionParams: { authorization: `Bearer ${reader.createApiKey.secret}` } });
    try {
      const listened = listening(s);
      // No filter: everything the key may see.
      const sub = collect(scoped, `subscription { stepStatusChanged(filter: {}) { step { id } } }`);
      await listened(1);
      const other = await claim(s, 'w', { projectId: theirs.project.id });
      const own = await claim(s, 'w', { projectId: mine.project.id });
      const [value] = await sub.waitFor(1);
      expect(sub.errors).toEqual([]);
      expect(value).toEqual({ stepStatusChanged: { step: { id: own!.id } } });
      // The other project's event was committed first: had it been delivered, it would have come first.
      expect(JSON.stringify(sub.values)).not.toContain(other!.id);
      sub.unsubscribe();
    } finally {
      await scoped.dispose();
    }
  });
});
