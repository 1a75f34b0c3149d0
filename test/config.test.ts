import path from 'node:path';
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
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
