// Rows come back from every query with the camelCase keys objection's mapper gives them, in the
// same order, however the compiled mapping is reached (src/db/columnNames.ts).
import fc from 'fast-check';
import { knexSnakeCaseMappers } from 'objection';
import { camelCaseResult } from '../../src/db/columnNames';
import { rawRows } from '../../src/db/raw';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const objection = knexSnakeCaseMappers().postProcessResponse!;
// Leading digits (integer-like keys come first in an object) and ':' (the mapper maps only what
// follows the last one) included.
const column = fc.stringMatching(/^[a-zA-Z0-9_:.$]{1,20}$/);
const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.date(),
  fc.dictionary(fc.string(), fc.integer()),
);

describe('column names of query results', () => {
  it('maps rows exactly as objection does, keys in the same order, for any set of columns', () => {
    fc.assert(
      fc.property(fc.uniqueArray(column, { minLength: 1, maxLength: 30 }), fc.nat(5), (columns, n) => {
        const rows = Array.from({ length: n + 1 }, () =>
          Object.fromEntries(columns.map((c, i) => [c, fc.sample(value, { numRuns: 1, seed: i })[0]])),
        );
        const mapped = camelCaseResult(rows) as Record<string, unknown>[];
        const expected = objection(rows) as Record<string, unknown>[];
        expect(mapped).toEqual(expected);
        expect(mapped.map((r) => Object.keys(r))).toEqual(expected.map((r) => Object.keys(r)));
      }),
      { numRuns: 300 },
    );
  });

  it('maps columns whose mapped names sort differently, or that hold a separator, as objection does', () => {
    for (const rows of [[{ x: 'X', '1_0': 'TEN' }], [{ 'a_b:c_d': 1 }], [{ '2': 'two', b_c: 'bc', '1': 'one' }]]) {
      expect(camelCaseResult(rows)).toEqual(objection(rows));
    }
  });

  it('leaves what is not a list of rows to objection: one row, scalars, empty lists, pluck results', () => {
    for (const result of [{ project_id: 1 }, [], [1, 2], ['a'], null, 7, [[1]], { rows: [{ a_b: 1 }] }]) {
      expect(camelCaseResult(result)).toEqual(objection(result));
    }
  });

  it('still maps every set of columns once more than a thousand have been seen', () => {
    for (let i = 0; i < 1100; i++) {
      const rows = [{ [`col_${i}`]: i, shared_name: 'x' }];
      expect(camelCaseResult(rows)).toEqual([{ [`col${i}`]: i, sharedName: 'x' }]);
    }
  });

  describe('through PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.drop());

    it('a query-builder result and a raw one arrive camelCased', async () => {
      const built = await database.db.select(database.db.raw(`1 as some_value, 'a' as "mixedCase", 2 as x_1`));
      expect(built).toEqual([{ someValue: 1, mixedCase: 'a', x1: 2 }]);
      const raw = await rawRows(
        database.db,
        `/* test */ select g as row_number, g * 2 as twice_that from generate_series(1, 3) g`,
      );
      expect(raw).toEqual([1, 2, 3].map((n) => ({ rowNumber: n, twiceThat: n * 2 })));
    });
  });
});
