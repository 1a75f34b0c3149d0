import { randomBytes } from 'node:crypto';
import knex from 'knex';
import { createDb, type Db } from '../../src/db/knex';
import { TEMPLATE_DATABASE, withDatabase } from './databaseUrl';

export interface TestDatabase {
  url: string;
  /** A pool on the test database; the caller destroys it (or calls drop()). */
  db: Db;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.RUNLEDGER_TEST_SERVER_URL;
  if (!url) throw new Error('RUNLEDGER_TEST_SERVER_URL is unset: run the tests through jest (globalSetup)');
  return url;
}

async function admin<T>(fn: (k: ReturnType<typeof knex>) => Promise<T>): Promise<T> {
  const k = knex({ client: 'pg', connection: serverUrl(), pool: { min: 0, max: 1 } });
  try {
    return await fn(k);
  } finally {
    await k.destroy();
  }
}

/** A fresh, fully migrated database of this test file's own (copied from the template). */
export async function createTestDatabase(
  options: { poolMax?: number; template?: string | null; statementTimeoutMs?: number } = {},
): Promise<TestDatabase> {
  const name = `runledger_test_${randomBytes(6).toString('hex')}`;
  const template = options.template === undefined ? TEMPLATE_DATABASE : options.template;
  await admin((k) => k.raw(`create database ${name}${template ? ` template ${template}` : ''}`));
  const url = withDatabase(serverUrl(), name);
  const db = createDb({
    connection: url,
    poolMax: options.poolMax ?? 5,
    statementTimeoutMs: options.statementTimeoutMs,
    // As the server runs on a direct connection (src/index.ts).
    preparedStatements: true,
  });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      await admin((k) => k.raw(`drop database if exists ${name} with (force)`));
    },
  };
}

/**
 * This test file's (or describe's) own database: created before its first test, dropped after
 * its last. Call it above the `describe` whose hooks use it: jest runs a block's `afterAll`
 * hooks in the order they were declared, and an inner block's before an outer one's, so a
 * describe's own clean-up (closing a listener, killing a server process) runs before the drop.
 */
export function useTestDatabase(options: { poolMax?: number; template?: string | null } = {}): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(options);
  });
  afterAll(async () => {
    await current?.drop();
  });
  const get = (): TestDatabase => {
    if (!current)
      throw new Error('useTestDatabase(): the database exists from beforeAll on, not while tests are defined');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get db() {
      return get().db;
    },
    drop: () => get().drop(),
  };
}
