import type { Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';

/**
 * snake_case in PostgreSQL, camelCase in TypeScript: objection's mappers, with their results'
 * rows mapped faster. objection maps each row key by key (Object.keys, then a memoized lookup
 * per key, the object grown a property at a time): ~0.3 us a row, and a nested page maps
 * thousands. Every row of one result has the same columns in the same order (pg builds them
 * from one template), so the mapping is worked out once per set of columns, by objection's own
 * mapper, and compiled into a function returning an object literal (bench/PROFILE.md, N3).
 */
const objection = knexSnakeCaseMappers();
const mapOne = objection.postProcessResponse!;

/** A column's name as objection's knex mapper gives it (the part after the last ':' camelCased). */
const nameOf = (column: string): string => Object.keys(mapOne({ [column]: null }) as Row)[0] ?? column;

/** Column sets with a compiled mapping; past the bound (selections narrow columns in many ways) rows map the slow way. */
const MAX_SHAPES = 1000;
type Row = Record<string, unknown>;
const compiled = new Map<string, (row: Row) => Row>();

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function compile(columns: string[]): ((row: Row) => Row) | undefined {
  const key = columns.join('\u0000');
  let make = compiled.get(key);
  if (make || compiled.size >= MAX_SHAPES) return make;
  // Each column's name from objection's own mapper, column by column (the keys of one mapped
  // object come back integer-like first, not in column order).
  const fields = columns.map((c) => `${JSON.stringify(nameOf(c))}: row[${JSON.stringify(c)}]`);
  // Built from column names PostgreSQL returned, each quoted as a JSON string (a valid JS string
  // literal): nothing else reaches the source. A literal is ~20x faster than growing an object.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above
  make = new Function('row', `return { ${fields.join(', ')} };`) as (row: Row) => Row;
  compiled.set(key, make);
  return make;
}

/** knex's postProcessResponse: rows of a result through their compiled mapping, anything else as objection maps it. */
export function camelCaseResult(result: unknown): unknown {
  if (!Array.isArray(result) || result.length === 0 || !isRow(result[0])) return mapOne(result);
  const make = compile(Object.keys(result[0]));
  if (!make) return mapOne(result);
  const rows = new Array<Row>(result.length);
  for (let i = 0; i < result.length; i++) rows[i] = make(result[i] as Row);
  return rows;
}

/** The identifier half of the mapping (camelCase names in queries become snake_case columns). */
export const wrapIdentifier: Knex.Config['wrapIdentifier'] = objection.wrapIdentifier;
