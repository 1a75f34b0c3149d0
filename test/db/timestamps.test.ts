import pg from 'pg';
import { parseTimestamptz } from '../../src/db/timestamps';
import { useTestDatabase } from '../helpers/database';

const database = useTestDatabase();

describe('reading timestamptz values', () => {
  it('gives the same instant as PostgreSQL for every time zone, precision and era it prints', async () => {
    const zones = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam', 'Africa/Monrovia'];
    const values = [
      '2026-11-23 15:38:23.828+00',
      '2026-11-23 15:38:23.828123+00',
      '2026-11-23 15:38:23+00',
      '1900-01-01 00:00:00+00',
      '1871-06-01 12:00:00+00', // Monrovia then had an offset with seconds
      '0044-03-15 12:00:00+00 BC',
      '2026-03-29 02:30:00.5+00',
    ];
    for (const zone of zones) {
      await database.db.transaction(async (trx) => {
        await trx.raw(`set local time zone '${zone}'`);
        for (const value of values) {
          const { rows } = (await trx.raw(
            `select ?::timestamptz::text as text, (extract(epoch from ?::timestamptz) * 1000)::float8 as ms`,
            [value, value],
          )) as {
            rows: { text: string; ms: number }[];
          };
          const parsed = parseTimestamptz(rows[0]!.text);
          expect(parsed).toBeInstanceOf(Date);
          expect({ zone, text: rows[0]!.text, ms: (parsed as Date).getTime() }).toEqual({
            zone,
            text: rows[0]!.text,
            ms: Math.floor(rows[0]!.ms),
          });
        }
      });
    }
  });

  it('keeps infinity as PostgreSQL says it', () => {
    expect(parseTimestamptz('infinity')).toBe(Infinity);
    expect(parseTimestamptz('-infinity')).toBe(-Infinity);
  });

  it('is what pg uses for timestamptz', () => {
    expect(pg.types.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
  });
});
