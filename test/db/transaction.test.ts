// The transaction helper retries a transaction that lost a deadlock, and runs its after-commit
// hooks once, for the attempt that committed.
import { afterCommit, transaction } from '../../src/db/transaction';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitersReach } from '../helpers/locks';

describe('transaction()', () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await createTestDatabase({ poolMax: 4 });
  });
  afterAll(() => d.drop());

  it('retries the loser of a deadlock and runs each after-commit hook once', async () => {
    const [a, b] = (await d
      .db('project')
      .insert([
        { slug: 'dl-a', name: 'a' },
        { slug: 'dl-b', name: 'b' },
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
      await trx('project').where({ id: a!.id }).update({ name: 'a1' });
      aHolds();
      await bHeld;
      await trx('project').where({ id: b!.id }).update({ name: 'a2' });
    });
    const second = transaction(d.db, async (trx) => {
      attempts.b++;
      afterCommit(trx, () => void hooks.b++);
      await trx('project').where({ id: b!.id }).update({ name: 'b1' });
      bHolds();
      await aHeld;
      if (attempts.b === 1) await waitersReach(d.db, 1);
      await trx('project').where({ id: a!.id }).update({ name: 'b2' });
    });
    await Promise.all([first, second]);
    expect(attempts.a + attempts.b).toBe(3);
    expect(hooks).toEqual({ a: 1, b: 1 });
  });
});
