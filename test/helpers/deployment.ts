// runledger as it is deployed: PgBouncer (transaction pooling) in front of PostgreSQL, several
// replicas on it with direct LISTEN URLs, HAProxy in front of them (HTTP and WebSocket).
// Debian's packages: `apt-get install pgbouncer haproxy` (.ci/run does it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embeddedPostgres';

export interface Tools {
  pgbouncer: string;
  haproxy: string;
}

/** Debian puts both daemons in /usr/sbin, which is not on every user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds pgbouncer and haproxy, or says exactly what is missing and how to get it. */
export function findTools(): Tools {
  const pgbouncer = findExecutable('pgbouncer');
  const haproxy = findExecutable('haproxy');
  const missing = [!pgbouncer && 'pgbouncer', !haproxy && 'haproxy'].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `The deployment test needs ${missing.join(' and ')} (looked on PATH and in ${EXTRA_DIRS.join(', ')}). ` +
        `On Debian or Ubuntu: apt-get install ${missing.join(' ')} (.ci/run installs them); on macOS: brew install ${missing.join(' ')}.`,
    );
  }
  return { pgbouncer: pgbouncer!, haproxy: haproxy! };
}

/**
 * The tools for a suite that needs them, or undefined: the suite is then skipped with a warning
 * on a developer's machine, and fails in CI (CI=true), which must have installed them.
 */
export function toolsFor(suite: string, need: string): Tools | undefined {
  try {
    return findTools();
  } catch (e) {
    const missing = (e as Error).message;
    if (process.env.CI === 'true') {
      describe(suite, () => {
        it(`has ${need} to run`, () => {
          throw new Error(missing);
        });
      });
    } else console.warn(`Skipping ${suite}: ${missing}`);
    return undefined;
  }
}

export interface Daemon {
  readonly port: number;
  /** Everything it printed, for failure messages. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/** PgBouncer refuses to run as root: as root, it runs as the `postgres` user the embedded cluster uses. */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error('running as root, and there is no `postgres` user to run pgbouncer as');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function startDaemon(
  command: string,
  args: string[],
  options: { cwd: string; user?: { uid: number; gid: number }; ready: RegExp | (() => Promise<boolean>) },
  port: number,
): Promise<Daemon> {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ?? {}),
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const daemon: Daemon = {
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (ok: boolean, error?: Error) => {
      if (settled) return;
      settled = true;
      if (ok) resolve(daemon);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready instanceof RegExp && options.ready.test(output)) settle(true);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => settle(false, e));
    void exited.then(() => settle(false, new Error(`${path.basename(command)} exited at start:\n${output}`)));
    if (typeof options.ready === 'function') {
      const check = options.ready;
      const poll = async () => {
        for (let i = 0; i < 400 && !settled; i++) {
          if (await check()) return settle(true);
          await new Promise((r) => setTimeout(r, 25));
        }
        settle(false, new Error(`${path.basename(command)} did not accept connections:\n${output}`));
      };
      void poll();
    }
  });
}

export interface PgBouncerOptions {
  /** Direct URLs of the databases to pool, each served under its own name. */
  databases: Record<string, string>;
  /** Server connections per database (PgBouncer's default_pool_size). */
  poolSize: number;
}

export interface PgBouncer extends Daemon {
  /** The client URL of one of the pooled databases. */
  url(database: string): string;
}

/** PgBouncer in transaction pooling mode: each transaction gets whichever server connection is free. */
export async function startPgBouncer(tools: Tools, options: PgBouncerOptions): Promise<PgBouncer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runledger-pgbouncer-'));
  const user = unprivilegedUser();
  const port = await freePort();
  const databases = Object.entries(options.databases).map(([name, direct]) => {
    const u = new URL(direct);
    return (
      `${name} = host=${u.hostname} port=${u.port} dbname=${u.pathname.slice(1)} ` +
      `user=${decodeURIComponent(u.username)} password=${decodeURIComponent(u.password)}`
    );
  });
  const ini = [
    '[databases]',
    ...databases,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // The pooler trusts its local clients here; the server side authenticates with the password above.
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize}`,
    `max_db_connections = ${options.poolSize}`,
    'reserve_pool_size = 0',
    'min_pool_size = 0',
    'max_client_conn = 1000',
    'server_reset_query =',
    // node-postgres sends none of its own; these are what other drivers send and PgBouncer would refuse.
    'ignore_startup_parameters = extra_float_digits',
    'admin_users = postgres',
    'log_connections = 0',
    'log_disconnections = 0',
  ].join('\n');
  await writeFile(path.join(dir, 'pgbouncer.ini'), ini + '\n', { mode: 0o600 });
  await writeFile(path.join(dir, 'users.txt'), '"postgres" ""\n', { mode: 0o600 });
  if (user) {
    for (const f of ['', 'pgbouncer.ini', 'users.txt']) await chown(path.join(dir, f), user.uid, user.gid);
  }
  await chmod(dir, 0o700);
  const daemon = await startDaemon(
    tools.pgbouncer,
    [path.join(dir, 'pgbouncer.ini')],
    { cwd: dir, user, ready: /listening on 127\.0\.0\.1:\d+/ },
    port,
  );
  return {
    ...daemon,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HaproxyOptions {
  /** Ports of the replicas on 127.0.0.1. */
  backends: number[];
}

/**
 * HAProxy in HTTP mode before the replicas: round robin, /readyz as the health check (a dead
 * replica is out within ~0.5 s), and a refused connection retried on another replica.
 * WebSocket upgrades pass through as tunnels.
 */
export async function startHaproxy(tools: Tools, options: HaproxyOptions): Promise<Daemon & { url: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runledger-haproxy-'));
  const port = await freePort();
  const cfg = [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout tunnel 1h',
    '  retries 3',
    '  option redispatch',
    'frontend api',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    ...options.backends.map((p, i) => `  server r${i + 1} 127.0.0.1:${p} check inter 200ms fall 2 rise 1`),
  ].join('\n');
  await writeFile(path.join(dir, 'haproxy.cfg'), cfg + '\n');
  const url = `http://127.0.0.1:${port}/graphql`;
  const daemon = await startDaemon(
    tools.haproxy,
    ['-db', '-f', path.join(dir, 'haproxy.cfg')],
    {
      cwd: dir,
      ready: async () => {
        try {
          return (await fetch(url.replace(/graphql$/, 'healthz'))).status === 200;
        } catch {
          return false;
        }
      },
    },
    port,
  );
  return {
    ...daemon,
    url,
    async stop() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
