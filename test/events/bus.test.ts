import pino from 'pino';
import { EventBus } from '../../src/events/bus';
import type { LogPosition } from '../../src/events/cursor';
import { EVENTS_CHANNEL } from '../../src/services/lifecycleEvents';
import { useTestDatabase } from '../helpers/database';
import { makeProject } from '../helpers/factories';
import { waitingBackend } from '../helpers/locks';
import { until } from '../helpers/wait';

const database = useTestDatabase();

describe('the event bus', () => {
  let bus: EventBus;
  beforeAll(async () => {
    bus = new EventBus({
      db: database.db,
      connectionString: database.url,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: 50,
    });
    await bus.start();
  });
  afterAll(() => bus.stop());

  it("reads the log at another process's wake-up while its poll waits to number events", async () => {
    const project = await makeProject(database.db);
    const delivered: LogPosition[] = [];
    const { remove } = bus.listen(
      'test',
      (e) => e.projectId === project.id,
      (_event, position) => delivered.push(position),
    );
    // Another process numbers an event while holding the log's head: the poll's numbering waits
    // behind it until it commits.
    const head = await database.db.transaction();
    try {
      const { position } = (await head('event_log_head').forUpdate().first('position')) as { position: string };
      const next = Number(position) + 1;
      await waitingBackend(database.db, ['sequence_lifecycle_events']);
      await database.db('lifecycle_event').insert({
        projectId: project.id,
        type: 'GROUP_START',
        status: 'RUNNING',
        position: next,
      });
      await head('event_log_head').update({ position: next });
      // Its wake-up (sent before its commit here, to look at the bus while the poll still waits).
      await database.db.raw('select pg_notify(?, ?)', [EVENTS_CHANNEL, 'another-process']);
      await until(() => delivered.length > 0, 5000);
      expect(delivered).toEqual([next]);
      await waitingBackend(database.db, ['sequence_lifecycle_events']); // the poll still waits
    } finally {
      await head.commit();
      remove();
    }
  });
});
