import { makeProject, makeRunGroup } from '../helpers/factories';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const MIGRATION = '20261201001000_add_worker_project.ts';

describe('the migration that gives workers a project', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('splits a worker used by two projects into one per project, drops unattributable ones, and rolls back', async () => {
    await t.db.migrate.down({ name: MIGRATION });
    const a = await makeProject(t.db);
    const b = await makeProject(t.db);
    await t.db('worker').insert([{ id: 'shared' }, { id: 'idle' }]);
    await makeRunGroup(t.db, { projectId: a.id, runs: 1, stepsPerRun: 2, workerId: 'shared' });
    await makeRunGroup(t.db, { projectId: b.id, runs: 1, stepsPerRun: 1, workerId: 'shared' });

    await t.db.migrate.up({ name: MIGRATION });
    const workers = await t.db('worker').select('projectId', 'id').orderBy('id');
    expect(workers).toHaveLength(2);
    expect(new Set(workers.map((w: { projectId: string }) => w.projectId))).toEqual(new Set([a.id, b.id]));
    expect(workers.every((w: { id: string }) => w.id === 'shared')).toBe(true);
    // Every step still has its worker, now its own project's.
    expect(await t.db('step').whereNotNull('workerId').count({ n: '*' }).first()).toEqual({ n: 3 });
    // A step cannot point at another project's worker.
    await expect(t.db('step').where({ projectId: a.id }).update({ workerId: 'nobody-of-a' })).rejects.toThrow(
      /step_worker_id_foreign/,
    );

    await t.db.migrate.down({ name: MIGRATION });
    expect(await t.db('worker').select('id')).toEqual([{ id: 'shared' }]);
    expect(await t.db('step').whereNotNull('workerId').count({ n: '*' }).first()).toEqual({ n: 3 });
    await t.db.migrate.latest();
  });
});
