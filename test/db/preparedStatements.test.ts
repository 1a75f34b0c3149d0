// Statements that repeat run as named prepared statements of their connection, on a direct
// connection (src/db/preparedStatements.ts); a plan that went stale under a migration costs no
// failed request.
import { rawRows } from '../../src/db/raw';
import { StatementNames } from '../../src/db/preparedStatements';
import { transaction } from '../../src/db/transaction';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** The statements prepared on the pool's one connection. */
async function prepared(t: TestDatabase): Promise<string[]> {
  const rows = await rawRows<{ statement: string }>(t.db, `select statement from pg_prepared_statements`);
  return rows.map((r) => r.statement);
}

describe('prepared statements', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ poolMax: 1 });
    await t.db.raw(`create table prepared_probe (id int primary key, label text)`);
    await t.db.raw(`insert into prepared_probe values (1, 'one'), (2, 'two')`);
  });
  afterAll(() => t.drop());

  it('a statement with bindings is prepared when it runs again, one that runs once never is', async () => {
    const repeated = `select label from prepared_probe where id = ? /* repeated */`;
    await t.db.raw(`select label from prepared_probe where id = ? /* once */`, [1]);
    expect((await t.db.raw(repeated, [1])).rows).toEqual([{ label: 'one' }]);
    expect((await prepared(t)).filter((s) => s.includes('prepared_probe'))).toEqual([]);
    expect((await t.db.raw(repeated, [2])).rows).toEqual([{ label: 'two' }]);
    expect((await t.db.raw(repeated, [1])).rows).toEqual([{ label: 'one' }]);
    expect((await prepared(t)).filter((s) => s.includes('prepared_probe'))).toEqual([
      'select label from prepared_probe where id = $1 /* repeated */',
    ]);
  });

  it('a plan gone stale under a migration is run again unnamed, alone or in a transaction', async () => {
    const wide = `select * from prepared_probe where id = ? /* wide */`;
    await t.db.raw(wide, [1]);
    await t.db.raw(wide, [1]);
    const inTransaction = `select * from prepared_probe where id = ? /* in a transaction */`;
    await transaction(t.db, (trx) => trx.raw(inTransaction, [1]));
    await transaction(t.db, (trx) => trx.raw(inTransaction, [1]));
    expect((await prepared(t)).filter((s) => /wide|in a transaction/.test(s))).toHaveLength(2);
    // The result type changes: PostgreSQL refuses the cached plans ("cached plan must not change
    // result type") once.
    await t.db.raw(`alter table prepared_probe add column note text`);
    expect((await t.db.raw(wide, [1])).rows).toEqual([{ id: 1, label: 'one', note: null }]);
    const rows = await transaction(t.db, async (trx) => (await trx.raw(inTransaction, [2])).rows as unknown[]);
    expect(rows).toEqual([{ id: 2, label: 'two', note: null }]);
  });
});

describe('statement names', () => {
  it('are given from the second execution, one per text, and at most 300 per process', () => {
    const names = new StatementNames();
    expect(names.nameFor('a')).toBeUndefined();
    const a = names.nameFor('a');
    expect(a).toEqual(expect.any(String));
    expect(names.nameFor('a')).toBe(a);
    for (let i = 0; i < 1000; i++) {
      names.nameFor(`s${i}`);
      names.nameFor(`s${i}`);
    }
    expect(names.size).toBe(300);
    expect(names.nameFor('s999')).toBeUndefined();
    expect(names.nameFor('a')).toBe(a);
  });
});
