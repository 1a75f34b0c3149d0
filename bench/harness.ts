// What every benchmark scenario shares: the servers as child processes, a GraphQL client, the
// load generator, the metrics reader, statistics, the seeded data and the report rows.
// bench/run.ts builds one `Bench` per run and hands it to each scenario in bench/scenarios/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Knex } from 'knex';

export const root = path.resolve(__dirname, '..');
export const KEY = 'bench-admin-key-0123456789abcdef0123456789abcdef';
/**
 * The worker the write scenarios report as: a report on a RUNNING step must come from the worker
 * holding it. bench/seed.ts `seedWorkers` registers it with its first claim.
 */
export const BENCH_WORKER = 'bench-worker-0';

/** Sizes and durations of a run: tiny for CI (`--smoke`), or the full benchmark. */
export interface Settings {
  /** Runs per seeded run group (each run: 10 steps x 3 LLM calls with prompt and response files). */
  sizes: [number, number, number];
  rounds: number;
  seconds: number;
  concurrency: number[];
  runsLarge: number;
  /** M5: runs of the maximum-size group (MAX_RUNS_PER_GROUP). */
  runsMax: number;
  updates: number;
  subs: [number, number, number];
  idle: number;
  events: number;
}

export const SMOKE: Settings = {
  sizes: [2, 4, 8],
  rounds: 1,
  seconds: 1,
  concurrency: [1, 4],
  runsLarge: 50,
  runsMax: 50,
  // M2/M4 report each step once per round: at most the largest group's 80 steps.
  updates: 80,
  subs: [1, 20, 50],
  idle: 200,
  events: 20,
};

export const FULL: Settings = {
  sizes: [10, 100, 1000],
  rounds: 3,
  seconds: 5,
  concurrency: [1, 10, 50],
  runsLarge: 10_000,
  runsMax: 50_000,
  updates: 4000,
  subs: [1, 1000, 5000],
  idle: 20_000,
  events: 100,
};

/** One line of bench/RESULTS.md. */
export interface Row {
  id: string;
  scenario: string;
  figures: string;
  ratio: string;
  target: string;
  /** null: no valid figure this run. */
  met: boolean | null;
  note?: string;
}

export interface Server {
  proc: ChildProcess;
  url: string;
  /** The file its stdout and stderr go to (bench/logs/, see `child`), for the servers the harness starts. */
  log?: string;
}

/** Everything a scenario may use; scenarios add rows and raw results, nothing else is shared. */
export interface Bench {
  S: Settings;
  smoke: boolean;
  /** The runledger server (npm start's flags, and `--cpu-prof` when asked). */
  rl: Server;
  /** bench/floor.ts: the same page and update statements behind plain Node http. */
  floor: Server;
  /** The runledger server with LIVE_EVENTS=false (M4). */
  quiet: Server;
  /** runledger's environment, to start another server like `rl`. */
  env: Record<string, string>;
  databaseUrl: string;
  db: Knex;
  projectId: string;
  /** Seeded run groups by size (the sizes scenarios asked for in `groupSizes`). */
  groups: Record<number, string>;
  rows: Row[];
  results: Record<string, unknown>;
  /** Starts a child process that is stopped with the others when the run ends. */
  start(script: string, env: Record<string, string>, nodeArgs?: string[]): Promise<Server>;
  /** Runs `fn` when the run ends (before the servers stop), e.g. to close a pool. */
  onStop(fn: () => Promise<unknown>): void;
  /** Per-run memo for measurements two scenarios report on (S3 and S1). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export const log = (msg: string) => process.stdout.write(`${msg}\n`);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const START_FLAGS = (
  JSON.parse(readFileSync(path.resolve(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(' ')
  .filter((arg) => /^--max-|^--expose-gc$/.test(arg));

/**
 * Where one run's server logs go: bench/logs/<run's start time>/ (git-ignored). A scenario that
 * fails prints the files of the servers it ran against (bench/run.ts).
 */
export const LOG_DIR = path.join(root, 'bench', 'logs', new Date().toISOString().replace(/[:.]/g, '-'));

/**
 * Spawns a TypeScript script under tsx and resolves with the URL it prints once listening. Its
 * stdout and stderr are kept, whole, in LOG_DIR/<label>-<pid>.log (`Server.log`).
 */
export function child(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  label = path.basename(script, '.ts'),
): Promise<Server> {
  // The servers run with npm start's flags (package.json), so the figures are what users get.
  const flags = script === 'src/index.ts' ? START_FLAGS : [];
  const proc = spawn(process.execPath, [...flags, ...nodeArgs, '--import', 'tsx', script], {
    cwd: root,
    // In production mode, as users run it (src/nodeEnv.ts) and as the peer runs (bench/peer.ts).
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mkdirSync(LOG_DIR, { recursive: true });
  const log = path.join(LOG_DIR, `${label.replace(/[^\w.-]+/g, '_')}-${proc.pid}.log`);
  const file = createWriteStream(log);
  proc.stdout!.pipe(file, { end: false });
  proc.stderr!.pipe(file, { end: false });
  proc.on('close', () => file.end());
  return listening(proc, script).then((server) => ({ ...server, log }));
}

/** Resolves when `proc` prints its http://127.0.0.1:port address; rejects if it exits first. */
export function listening(proc: ChildProcess, name: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)(\/graphql)?/.exec(out);
      if (!m) return;
      // Listening: the output is no longer held here (the log file keeps it), nor is an exit an error.
      proc.stdout!.off('data', onData);
      proc.stderr!.off('data', onData);
      proc.off('exit', onExit);
      resolve({ proc, url: m[1]! });
    };
    const onExit = (code: number | null) => reject(new Error(`${name} exited ${code}: ${out}`));
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', onExit);
  });
}

// any: benchmark responses are read ad hoc
export async function gql<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  pathName = '/graphql',
): Promise<T> {
  const res = await fetch(`${url}${pathName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

/** Sum of a Prometheus metric's samples whose line starts with `name` (labels included). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

export const QUERY_STATEMENTS = 'runledger_sql_statements_total{pool="queries"}';

export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface CannonResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * autocannon: one POST body at `connections` for `seconds`. With `warmupSeconds`, the load runs
 * that much longer first and only responses that arrive after it count (throughput and
 * latency): at 50 connections a 100-run page takes seconds, so in a 5 s window that starts
 * with every connection's first request, a server that interleaves requests fairly finishes
 * almost none of them inside the window, and one that serves them in turn looks faster.
 */
export async function cannon(
  url: string,
  opts: {
    body: string;
    connections: number;
    seconds: number;
    warmupSeconds?: number;
    path?: string;
    headers?: Record<string, string>;
  },
): Promise<CannonResult> {
  const warmup = opts.warmupSeconds ?? 0;
  const steady: number[] = [];
  let from = Infinity;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const running = autocannon(
      {
        url: url + (opts.path ?? '/graphql'),
        method: 'POST',
        headers: opts.headers ?? { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: opts.body,
        connections: opts.connections,
        duration: warmup + opts.seconds,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (warmup > 0) {
      from = performance.now() + warmup * 1000;
      running.on('response', (_client, _status, _bytes, ms) => {
        if (performance.now() >= from) steady.push(ms);
      });
    }
  });
  if (warmup === 0)
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
  const seconds = (performance.now() - from) / 1000;
  return {
    rps: steady.length / Math.max(seconds, 0.001),
    p50: Math.round(pct(steady, 50)),
    p99: Math.round(pct(steady, 99)),
    errors: r.errors + r.non2xx,
  };
}

/** The run-group page a client team builds (N1, N2, N3). */
export const PAGE = `query Page($id: ID!) { runGroup(id: $id) { progress { total } runs(first: 100) { totalCount nodes { document { hash uris(first: 10) { uri } } steps(first: 10) { name status worker { id } llmCalls(first: 5) { model totalTokens promptFile { sizeBytes } responseFile { sizeBytes } } } } } } }`;

/** One benchmark scenario: a module in bench/scenarios/, listed in bench/scenarios/index.ts. */
export interface Scenario {
  /** The row ids it reports; `--only=ID,...` selects scenarios by these. */
  ids: string[];
  /** Which seeded run groups it reads, as indexes into `Settings.sizes`. */
  groupSizes: number[];
  /** Opt-in scenarios run only with their flag (`--peer`), never in the default or smoke run. */
  optIn?: 'peer';
  run(b: Bench): Promise<void>;
}
