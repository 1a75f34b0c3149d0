import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { authenticate, hashSecret } from './principal';

/**
 * The embedded dev mode's admin key: made on the first start, kept in the data dir (readable by
 * its owner only) and reused, so the explorer and curl examples keep working across restarts.
 */
export async function ensureDevAdminKey(db: Knex, dataDir: string): Promise<{ secret: string; file: string }> {
  const file = path.join(dataDir, 'dev-admin-key');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing && (await authenticate(db, existing, undefined))?.role === 'ADMIN') return { secret: existing, file };
  const secret = `rl_dev_${randomBytes(32).toString('base64url')}`;
  await db('api_key').insert({ projectId: null, role: 'ADMIN', secretHash: hashSecret(secret) });
  await writeFile(file, secret + '\n', { mode: 0o600 });
  return { secret, file };
}
