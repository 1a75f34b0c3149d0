import type { Knex } from 'knex';
import { mapDatabaseError } from './errors';

/**
 * Runs `fn` in one transaction: everything commits or nothing does. Database errors become
 * client errors (see mapDatabaseError); everything else is rethrown as is.
 */
export async function transaction<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } catch (e) {
    throw mapDatabaseError(e) ?? e;
  }
}
