import pg from 'pg';
import { transaction } from '../../src/db/transaction';
import { EventNotifier, LISTENER_APPLICATION_NAME } from '../../src/events/notifier';
import { Sequencer } from '../../src/events/sequencer';
import { EVENTS_CHANNEL, recordEvents } from '../../src/services/lifecycleEvents';
import { useTestDatabase } from '../helpers/database';
import { makeProject } from '../helpers/factories';
import { holdLocks, waitingBackend } from '../helpers/locks';
import { until } from '../helpers/wait';

const database = useTestDatabase();

describe('waking subscribers after commits', () => {
  let listener: pg.Client;
  const heard: string[] = [];
  beforeAll(async () => {
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
  });
  beforeEach(() => {
    heard.length = 0;
  });
  /**
   * Notifications reach a listener in commit order: once a NOTIFY sent now has arrived, every
   * one sent before it has too, so "nothing else came" is a fact rather than a timeout.
   */
  const SENTINEL = 'sentinel';
  const heardEverythingSentBefore = async () => {
    await database.db.raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, SENTINEL]);
    await until(() => heard.includes(SENTINEL));
  };

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
    await notifier.settled();
    await heardEverythingSentBefore();
    expect(heard).toEqual(['writer-a', 'writer-a', SENTINEL]);
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
      listenersCheckMs: 60_000, // the test runs the checks itself
    });
    let other: pg.Client | undefined;
    try {
      await notifier.checkListeners();
      notifier.committed();
      await heardEverythingSentBefore();
      expect(heard).toEqual([SENTINEL]); // only this process's own bus listens: it was woken directly
      heard.length = 0;

      other = await listenerAs(LISTENER_APPLICATION_NAME); // a second server process starts
      await notifier.checkListeners();
      notifier.committed();
      await until(() => heard.length === 1);
      expect(heard).toEqual(['writer-b']);
    } finally {
      notifier.stop();
      await other?.end();
      await own.end();
    }
  });

  it('lets the sequencing statement carry the NOTIFY: heard when the numbering commits, and no second one', async () => {
    const project = await makeProject(database.db);
    const notifier = new EventNotifier({ db: database.db, instanceId: 'writer-c', intervalMs: 10 });
    const sequencer = new Sequencer(database.db);
    sequencer.carry(notifier);
    await transaction(database.db, (trx) =>
      recordEvents(trx, [{ projectId: project.id, type: 'GROUP_START', status: 'PENDING' }], {
        onEventsCommitted: () => undefined,
      }),
    );
    // Another session holds the log's head: the run (and with it the NOTIFY) cannot commit yet.
    const holder = await holdLocks(database.db);
    try {
      await holder.lock('select position from event_log_head');
      const run = sequencer.run();
      await waitingBackend(database.db, ['sequence and notify']);
      await heardEverythingSentBefore();
      expect(heard).toEqual([SENTINEL]); // nothing before the numbering commits
      heard.length = 0;
      await holder.release();
      expect(await run).toBe(true);
      notifier.committed(true);
      await notifier.settled();
      await heardEverythingSentBefore();
      expect(heard).toEqual(['writer-c', SENTINEL]);
      const unsequenced = await database.db('lifecycle_event').whereNull('position').count({ n: '*' }).first();
      expect(unsequenced).toEqual({ n: 0 });
    } finally {
      await holder.release();
      notifier.stop();
    }
  });

  it("does not notify from a poll's sequencing run, nor carry while the notifier cools down", async () => {
    const notifier = new EventNotifier({ db: database.db, instanceId: 'writer-d', intervalMs: 60_000 });
    const sequencer = new Sequencer(database.db);
    sequencer.carry(notifier);
    try {
      expect(await sequencer.run(false)).toBe(false); // the poll's run
      expect(await sequencer.run()).toBe(true); // a writer's run carries it
      notifier.committed(true);
      expect(await sequencer.run()).toBe(false); // cooling: the notifier sends the next one itself
      notifier.committed(false);
      await heardEverythingSentBefore();
      expect(heard).toEqual(['writer-d', SENTINEL]);
    } finally {
      notifier.stop();
    }
  });

  it('tells the sink once per committed transaction and never for a rolled-back one', async () => {
    const project = await makeProject(database.db);
    let calls = 0;
    const sink = { onEventsCommitted: () => void calls++ };
    const event = { projectId: project.id, type: 'GROUP_START' as const, status: 'PENDING' as const };

    await transaction(database.db, async (trx) => {
      await recordEvents(trx, [event], sink);
      throw new Error('rolled back');
    }).catch(() => undefined);
    // transaction() runs the after-commit hooks before it returns: a sink not called by now
    // never will be.
    expect(calls).toBe(0);

    await transaction(database.db, async (trx) => {
      await recordEvents(trx, [event], sink);
      await recordEvents(trx, [event, event], sink);
      expect(calls).toBe(0); // not before the commit
    });
    expect(calls).toBe(1);
    expect(await database.db('lifecycle_event').where({ projectId: project.id }).count({ n: '*' }).first()).toEqual({
      n: 3,
    });
  });
});
