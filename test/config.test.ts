import path from 'node:path';
import { bearerSecret } from '../src/auth/principal';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('has defaults that start the embedded dev mode', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      introspection: true,
      workerLeaseSeconds: 600,
      maxRunsPerGroup: 50_000,
    });
    expect(c.dataDir).toBe(path.resolve('.runledger'));
  });

  it('turns introspection off against an external database unless asked for', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x' }).introspection).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', INTROSPECTION: 'true' }).introspection).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_LEASE_SECONDS', '0'],
    ['INTROSPECTION', 'maybe'],
    ['ADMIN_API_KEY', 'short'],
    ['DATABASE_LISTEN_URL', 'not a url'],
    ['MIGRATE_ON_START', 'sometimes'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('refuses an ADMIN_API_KEY no Authorization header could carry (over 512 characters, or with spaces)', () => {
    for (const key of ['k'.repeat(513), 'an admin key with spaces in it, long enough']) {
      expect(() => loadConfig({ ADMIN_API_KEY: key })).toThrow(/ADMIN_API_KEY: must be at most 512 characters/);
    }
  });

  it('accepts an ADMIN_API_KEY exactly when an Authorization header can carry it', () => {
    for (const key of ['k'.repeat(32), 'k'.repeat(512), 'k'.repeat(513), 'x'.repeat(20) + ' ' + 'y'.repeat(20)]) {
      let accepted = true;
      try {
        loadConfig({ ADMIN_API_KEY: key });
      } catch {
        accepted = false;
      }
      expect({ key: key.slice(0, 40), accepted }).toEqual({
        key: key.slice(0, 40),
        accepted: bearerSecret(`Bearer ${key}`) === key,
      });
    }
  });

  it('migrates on start unless told not to, and takes a separate LISTEN URL', () => {
    expect(loadConfig({}).migrateOnStart).toBe(true);
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    expect(loadConfig({ DATABASE_LISTEN_URL: 'postgres://u:p@db:5432/x' }).databaseListenUrl).toBe(
      'postgres://u:p@db:5432/x',
    );
  });
});
