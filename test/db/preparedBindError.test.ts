// A value that fails to serialize (node-postgres's Bind, client side) on a statement the
// connection already prepared makes node-postgres send Close for the statement's name, while it
// keeps the name as parsed: every later execution of that text on that connection binds a
// statement that no longer exists (26000), until the connection is replaced. Unnamed, the next
// execution parses again and works.
import { createTestDatabase, type TestDatabase } from '../helpers/database';

describe('prepared statements after a client-side bind error', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ poolMax: 1 });
    await t.db.raw(`create table bind_probe (id int primary key, label text)`);
    await t.db.raw(`insert into bind_probe values (1, 'one')`);
  });
  afterAll(() => t.drop());

  it('leaves the statement usable on its connection', async () => {
    const text = `select label from bind_probe where id = ? /* bind probe */`;
    for (let i = 0; i < 3; i++) expect((await t.db.raw(text, [1])).rows).toEqual([{ label: 'one' }]);
    const bad = {
      toPostgres: () => {
        throw new Error('cannot serialize');
      },
    };
    await expect(t.db.raw(text, [bad as never])).rejects.toThrow('cannot serialize');
    const after: string[] = [];
    for (let i = 0; i < 3; i++) {
      after.push(
        await t.db.raw(text, [1]).then(
          (r) => (r.rows as { label: string }[])[0]!.label,
          (e: Error) => e.message,
        ),
      );
    }
    expect(after).toEqual(['one', 'one', 'one']);
  });
});
