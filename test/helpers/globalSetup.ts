// Once per `npm test`: a real PostgreSQL (embedded, or TEST_DATABASE_URL), and a template
// database with every migration applied, which each test file copies into its own database.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embeddedPostgres';
import { createDb, migrateLatest } from '../../src/db/knex';
import { buildExplorer } from '../../src/explorer/build';
import { TEMPLATE_DATABASE, withDatabase } from './databaseUrl';

declare global {
  // Shared with globalTeardown, which runs in the same process.
  var __RUNLEDGER_PG__: { server?: EmbeddedPostgres; dataDir?: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Once, before test files start servers in parallel.
  await buildExplorer();
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-test-'));
    // Throwaway cluster: durability settings off for speed.
    const server = await startEmbeddedPostgres({
      dataDir,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    globalThis.__RUNLEDGER_PG__ = { server, dataDir };
    serverUrl = server.url;
  }
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.raw(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.destroy();
  }
  const template = createDb({ connection: withDatabase(serverUrl, TEMPLATE_DATABASE), poolMax: 1 });
  try {
    await migrateLatest(template);
  } finally {
    await template.destroy();
  }
  process.env.RUNLEDGER_TEST_SERVER_URL = serverUrl;
}
