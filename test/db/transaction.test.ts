// The transaction helper retries a transaction that lost a deadlock, and runs its after-commit
// hooks once, for the attempt that committed; statements through knex and through an Objection
// model (which wraps the database's errors) alike.
import type { Knex } from 'knex';
import { afterCommit, transaction } from '../../src/db/transaction';
import { Project } from '../../src/models';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitersReach } from '../helpers/locks';

describe('transaction()', () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await createTestDatabase({ poolMax: 4 });
  });
  afterAll(() => d.drop());

  const renames: Record<string, (trx: Knex.Transaction, id: string, name: string) => PromiseLike<unknown>> = {
    knex: (trx, id, name) => trx('project').where({ id }).update({ name }),
    'an Objection model': (trx, id, name) => Project.query(trx).findById(id).patch({ name }),
  };

  it.each(Object.keys(renames))(
    'retries the loser of a deadlock through %s and runs each after-commit hook once',
    async (via) => {
      const rename = renames[via]!;
      const [a, b] = (await d
        .db('project')
        .insert([
          { slug: `dl-a-${via.length}`, name: 'a' },
          { slug: `dl-b-${via.length}`, name: 'b' },
        ])
        .returning('id')) as { id: string }[];
      let aHolds!: () => void;
      let bHolds!: () => void;
      const aHeld = new Promise<void>((r) => (aHolds = r));
      const bHeld = new Promise<void>((r) => (bHolds = r));
      const attempts = { a: 0, b: 0 };
      const hooks = { a: 0, b: 0 };
      // Each locks its own row, then the other's: a cycle PostgreSQL breaks by aborting one (40P01).
      const first = transaction(d.db, async (trx) => {
        attempts.a++;
        afterCommit(trx, () => void hooks.a++);
        await rename(trx, a!.id, 'a1');
        aHolds();
        await bHeld;
        await rename(trx, b!.id, 'a2');
      });
      const second = transaction(d.db, async (trx) => {
        attempts.b++;
        afterCommit(trx, () => void hooks.b++);
        await rename(trx, b!.id, 'b1');
        bHolds();
        await aHeld;
        if (attempts.b === 1) await waitersReach(d.db, 1);
        await rename(trx, a!.id, 'b2');
      });
      await Promise.all([first, second]);
      expect(attempts.a + attempts.b).toBe(3);
      expect(hooks).toEqual({ a: 1, b: 1 });
    },
  );

  it('maps a violated constraint raised through an Objection model like one raised through knex', async () => {
    const insert = async (trx: Knex.Transaction) => Project.query(trx).insert({ slug: 'taken', name: 't' });
    await transaction(d.db, insert);
    await expect(transaction(d.db, insert)).rejects.toMatchObject({
      message: 'a project with this slug already exists',
      extensions: { code: 'CONFLICT', field: 'slug' },
    });
  });
});
