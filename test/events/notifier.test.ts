import pg from 'pg';
import { EventNotifier, LISTENER_APPLICATION_NAME } from '../../src/events/notifier';
import { EVENTS_CHANNEL, recordEvents } from '../../src/services/events';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeProject } from '../helpers/factories';
import { until } from '../helpers/wait';

describe('waking subscribers after commits', () => {
  let database: TestDatabase;
  let listener: pg.Client;
  const heard: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await database.drop();
  });
  beforeEach(() => {
    heard.length = 0;
  });

  it('sends one NOTIFY per interval however many commits, and the last commit is always followed by one', async () => {
    let local = 0;
    const notifier = new EventNotifier({
      db: database.db,
      instanceId: 'writer-a',
      intervalMs: 200,
      wakeLocal: () => local++,
    });
    for (let i = 0; i < 50; i++) notifier.committed();
    expect(local).toBe(50); // this process's bus is woken for every commit, without PostgreSQL
    await until(() => heard.length === 1);
    // The commits after the first share one trailing NOTIFY, sent when the interval ends.
    await until(() => heard.length === 2, 2000);
    await new Promise((r) => setTimeout(r, 400));
    expect(heard).toEqual(['writer-a', 'writer-a']);
  });

  it('sends no NOTIFY while no other process listens, and does again once one does', async () => {
    const listenerAs = async (applicationName: string) => {
      const client = new pg.Client({ connectionString: database.url, application_name: applicationName });
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      return client;
    };
    const own = await listenerAs(LISTENER_APPLICATION_NAME);
    const ownPid = ((await own.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    const notifier = new EventNotifier({
      db: database.db,
      instanceId: 'writer-b',
      intervalMs: 10,
      ownListenerPid: () => ownPid,
      listenersCheckMs: 50,
    });
    let other: pg.Client | undefined;
    try {
      await new Promise((r) => setTimeout(r, 150));
      notifier.committed();
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([]); // only this process's own bus listens: it was woken directly

      other = await listenerAs(LISTENER_APPLICATION_NAME); // a second server process starts
      await new Promise((r) => setTimeout(r, 150));
      notifier.committed();
      await until(() => heard.length === 1);
      expect(heard).toEqual(['writer-b']);
    } finally {
      notifier.stop();
      await other?.end();
      await own.end();
    }
  });

  it('tells the sink once per committed transaction and never for a rolled-back one', async () => {
    const project = await makeProject(database.db);
    let calls = 0;
    const sink = { onEventsCommitted: () => calls++ };
    const event = { projectId: project.id, type: 'GROUP_START' as const, status: 'PENDING' as const };

    await database.db
      .transaction(async (trx) => {
        await recordEvents(trx, [event], sink);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(0);

    await database.db.transaction(async (trx) => {
      await recordEvents(trx, [event], sink);
      await recordEvents(trx, [event, event], sink);
      expect(calls).toBe(0); // not before the commit
    });
    await until(() => calls > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    expect(await database.db('lifecycle_event').count({ n: '*' }).first()).toEqual({ n: 3 });
  });
});
