// `npm run db:migrate`: applies pending migrations as a deploy step, with the server's own
// migrateLatest (src/db/knex.ts), so several at once are safe: knex's migration lock makes the
// second wait, and the races of a first run on an empty database (both creating knex's own
// tables) are retried, which knex's CLI alone does not do. The connection is the knex CLI's
// (knexfile.ts): DATABASE_URL, or the embedded PostgreSQL under RUNLEDGER_DATA_DIR.
import knex from 'knex';
import knexfile from '../knexfile';
import { migrateLatest } from '../src/db/knex';

async function main(): Promise<number> {
  const db = knex(await knexfile());
  try {
    const { batch, applied } = await migrateLatest(db, {
      onRetry: (e, attempt) => console.warn(`migrations: another migrator is at work (${e.message}); retry ${attempt}`),
    });
    if (applied.length === 0) console.log('Already up to date');
    else console.log([`Batch ${batch} run: ${applied.length} migrations`, ...applied].join('\n'));
    return 0;
  } catch (e) {
    console.error(`migrations failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
  }
}

// process.exit also stops an embedded PostgreSQL started for this run (its exit handler).
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
