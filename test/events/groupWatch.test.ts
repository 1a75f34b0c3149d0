// The run groups a process's runGroupProgress subscriptions follow, and how a deletion that
// left no event in the log reaches them (src/events/groupWatch.ts).
import pg from 'pg';
import { GroupWatch, RUN_GROUP_DELETED_CHANNEL } from '../../src/events/groupWatch';
import { deleteRunGroup } from '../../src/services/runGroups';
import { useTestDatabase } from '../helpers/database';
import { makeProject, makeRunGroup } from '../helpers/factories';
import { writerContext } from '../helpers/server';
import { until } from '../helpers/wait';

const database = useTestDatabase();

describe('GroupWatch', () => {
  const group = async () => {
    const project = await makeProject(database.db);
    return (await makeRunGroup(database.db, { projectId: project.id, runs: 1, stepsPerRun: 1 })).group.id;
  };

  it('verify() ends the confirmed watches of groups that are gone, once each, and no other', async () => {
    const watch = new GroupWatch();
    const [kept, deleted, unconfirmed] = [await group(), await group(), '00000000-0000-4000-8000-000000000001'];
    const ended: string[] = [];
    const on = (id: string) => () => ended.push(id);
    watch.watch(kept, on(kept)).confirm();
    const a = watch.watch(deleted, on(`${deleted}/a`));
    const b = watch.watch(deleted, on(`${deleted}/b`));
    a.confirm();
    b.confirm();
    // Not confirmed yet (its group is still being read): a check does not count it.
    watch.watch(unconfirmed, on(unconfirmed));
    await deleteRunGroup(writerContext(database.db), deleted, false);

    await watch.verify(database.db);
    expect(ended.sort()).toEqual([`${deleted}/a`, `${deleted}/b`].sort());
    await watch.verify(database.db);
    watch.gone(deleted);
    expect(ended).toHaveLength(2);
    expect(watch.size).toBe(2);
  });

  it('gone() ends every watch of the group; a stopped watch hears nothing', async () => {
    const watch = new GroupWatch();
    const id = await group();
    const ended: string[] = [];
    watch.watch(id, () => ended.push('first'));
    watch.watch(id, () => ended.push('stopped')).stop();
    watch.gone(id);
    watch.gone(id);
    expect(ended).toEqual(['first']);
    expect(watch.size).toBe(0);
  });

  it('deleteRunGroup notifies the group id when it commits, and not for a dry run', async () => {
    const listener = new pg.Client({ connectionString: database.url });
    const heard: string[] = [];
    await listener.connect();
    try {
      listener.on('notification', (n) => {
        if (n.channel === RUN_GROUP_DELETED_CHANNEL) heard.push(n.payload ?? '');
      });
      await listener.query(`LISTEN ${RUN_GROUP_DELETED_CHANNEL}`);
      const [dry, real] = [await group(), await group()];
      await deleteRunGroup(writerContext(database.db), dry, true);
      await deleteRunGroup(writerContext(database.db), real, false);
      // Notifications arrive in commit order: once the real one came, the dry run's would have.
      await until(() => heard.includes(real));
      expect(heard).toEqual([real]);
    } finally {
      await listener.end();
    }
  });
});
