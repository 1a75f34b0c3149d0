// Used by the knex CLI (`npm run db:rollback`, `db:seed`) and by scripts/migrate.ts (`npm run
// db:migrate`). Without DATABASE_URL it uses the embedded PostgreSQL under RUNLEDGER_DATA_DIR,
// like `npm start`.
import type { Knex } from 'knex';
import { loadConfig } from './src/config';
import { attachOrStartEmbeddedPostgres } from './src/db/embeddedPostgres';
import { knexConfig } from './src/db/knexConfig';

export default async function knexfile(): Promise<Knex.Config> {
  const config = loadConfig();
  const connection = config.databaseUrl ?? (await attachOrStartEmbeddedPostgres(config.dataDir));
  return knexConfig({ connection, poolMax: 2 });
}
