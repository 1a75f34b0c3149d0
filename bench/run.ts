// `npm run bench` (full) or `npm run bench -- --smoke` (every scenario tiny, for CI).
// Starts its own embedded PostgreSQL (or uses BENCH_DATABASE_URL), a runledger server and a
// "floor" server as child processes, seeds through the real write path, runs the scenarios of
// bench/scenarios/ (comparisons alternate within one run), prints a table and writes
// bench/RESULTS.md and bench/results.json.
//
// Flags:
//   --smoke        every scenario tiny (CI); nothing written to bench/
//   --only=N2,G2   those scenarios only (and the data they need); nothing written to bench/
//   --cpu-prof     the runledger server writes a V8 CPU profile to bench/profiles/ when it stops
//   --peer         also the opt-in scenarios against PostGraphile v5 (N3, N4; bench/peer.ts)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embeddedPostgres';
import { createDb, migrateLatest } from '../src/db/knex';
import { child, FULL, gql, KEY, log, LOG_DIR, root, SMOKE, type Bench, type Row, type Server } from './harness';
import { enableStatementCounts } from './peer';
import { scenarios } from './scenarios';
import { seedGroup, seedWorkers } from './seed';

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const cpuProf = argv.includes('--cpu-prof');
const peer = argv.includes('--peer');
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const S = smoke ? SMOKE : FULL;

const chosen = scenarios.filter((s) =>
  only ? s.ids.some((id) => only.has(id)) : !s.optIn || (s.optIn === 'peer' && peer),
);
if (only) {
  const known = new Set(scenarios.flatMap((s) => s.ids));
  const unknown = [...only].filter((id) => !known.has(id));
  if (unknown.length) {
    console.error(`unknown scenario id(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
}
const countsStatements = chosen.some((s) => s.optIn === 'peer');
// A full run (every default scenario, and the peer's when asked) is the one that writes bench/.
const writesResults = !smoke && !only;

let failed = false;

async function main() {
  const started = Date.now();
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-bench-'));
    // The peer's scenarios count statements with pg_stat_statements; other runs stay as they were.
    embedded = await startEmbeddedPostgres({
      dataDir,
      // W1 measures from commits: PostgreSQL keeps each transaction's commit time.
      settings: {
        track_commit_timestamp: 'on',
        ...(countsStatements ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
      },
    });
    serverUrl = embedded.url;
  }
  const dbName = `runledger_bench_${Date.now()}`;
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${dbName}`);
  await admin.destroy();
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const db = createDb({ connection: databaseUrl, poolMax: 4 });
  await migrateLatest(db);
  if (countsStatements) await enableStatementCounts(db);
  const pgVersion = (await db.raw('show server_version')).rows[0].server_version as string;

  const servers: Server[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  // Each server's log is named after what started it: the run (rl, floor, quiet) or a scenario.
  let starter = 'run';
  const start = async (script: string, env: Record<string, string>, nodeArgs: string[] = [], label = starter) => {
    const server = await child(script, env, nodeArgs, `${label}-${path.basename(script, '.ts')}`);
    servers.push(server);
    return server;
  };
  // The 5 s default statement timeout would cut M1's 80,000-step insert on a loaded machine: the
  // benchmark measures how long statements take, so it gives them a minute.
  const env = {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'error',
    ADMIN_API_KEY: KEY,
    DB_POOL_MAX: '20',
    STATEMENT_TIMEOUT_MS: '60000',
    // S3 and S4 measure how many subscriptions one process holds (20,000 in S4, 250 per socket
    // in S3, all with the bench's one key): above the production caps.
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '1000',
    WS_MAX_SUBSCRIPTIONS_PER_KEY: '100000',
    MAX_SUBSCRIPTIONS: '100000',
  };
  try {
    const rl = await start(
      'src/index.ts',
      env,
      cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'profiles')}`] : [],
      'rl',
    );
    const floor = await start('bench/floor.ts', { DATABASE_URL: databaseUrl });
    // The same server without NOTIFY, for M4.
    const quiet = await start('src/index.ts', { ...env, LIVE_EVENTS: 'false' }, [], 'quiet');
    log(`server logs: ${path.relative(root, LOG_DIR)}/`);
    const project = (await gql(rl.url, `mutation { createProject(input: { slug: "bench", name: "bench" }) { id } }`))
      .createProject;
    log(`seeding through the API (${smoke ? 'smoke' : 'full'}): ${chosen.flatMap((s) => s.ids).join(', ')}`);
    const groups: Record<number, string> = {};
    const sizes = [...new Set(chosen.flatMap((s) => s.groupSizes))].sort((a, b) => a - b).map((i) => S.sizes[i]!);
    for (const size of sizes) groups[size] = await seedGroup(rl.url, project.id, size, 3);
    await seedWorkers(
      rl.url,
      sizes.reduce((a, b) => a + b, 0),
    );

    const memos = new Map<string, Promise<unknown>>();
    const rows: Row[] = [];
    const results: Record<string, unknown> = {};
    const bench: Bench = {
      S,
      smoke,
      rl,
      floor,
      quiet,
      env,
      databaseUrl,
      db,
      projectId: project.id,
      groups,
      rows,
      results,
      start,
      onStop: (fn) => stops.push(fn),
      memo: <T>(key: string, compute: () => Promise<T>) => {
        if (!memos.has(key)) memos.set(key, compute());
        return memos.get(key) as Promise<T>;
      },
    };
    for (const scenario of chosen) {
      log(`${scenario.ids.join(', ')}...`);
      starter = scenario.ids.join('+');
      // One failing scenario is reported as such; the others still run and the report is written.
      try {
        await scenario.run(bench);
      } catch (e) {
        failed = true;
        const message = (e instanceof Error ? e.message : String(e)).slice(0, 300).replace(/\|/g, '/');
        log(`  ${scenario.ids.join(', ')} failed: ${message}`);
        // Every server still running may hold the cause (an INTERNAL_SERVER_ERROR's detail is only logged).
        log(
          `  server logs:\n${servers
            .filter((s) => s.log && s.proc.exitCode === null)
            .map((s) => `    ${path.relative(root, s.log!)}`)
            .join('\n')}`,
        );
        for (const id of scenario.ids)
          if (!rows.some((r) => r.id === id))
            rows.push({
              id,
              scenario: '-',
              figures: '-',
              ratio: '-',
              target: '-',
              met: null,
              note: `failed: ${message}`,
            });
      }
    }

    // Report.
    const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL ${pgVersion}`;
    const date = new Date().toISOString();
    const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
    const table = [
      '| id | scenario | figures | ratio | target | met |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.id} | ${r.scenario} | ${r.figures}${r.note ? `<br>${r.note}` : ''} | ${r.ratio} | ${r.target} | ${r.met === null ? 'not measured' : r.met ? 'yes' : 'no'} |`,
      ),
    ].join('\n');
    log(`\n${table}\n`);
    const md = `# Benchmark results\n\n- machine: ${machine}\n- date: ${date}\n- command: \`${command}\`\n- duration: ${((Date.now() - started) / 1000).toFixed(0)} s\n\nEvery comparison was measured in this one run, alternating the two sides, with the same client; figures are medians of ${S.rounds} round(s). The machine is shared and noisy: read the ratios, not single times. Where a target is not met, bench/PROFILE.md says what the profile shows.\n\n${table}\n`;
    if (writesResults) {
      await writeFile(path.join(root, 'bench', 'RESULTS.md'), md);
      await writeFile(
        path.join(root, 'bench', 'results.json'),
        JSON.stringify({ machine, date, command, rows, results }, null, 2),
      );
      log('written: bench/RESULTS.md, bench/results.json');
    } else {
      const file = path.join(os.tmpdir(), 'runledger-bench-partial.md');
      await writeFile(file, md);
      log(`partial or smoke run: results not written to bench/ (table in ${file})`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    const procs = servers.map((s) => s.proc);
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.on('exit', r)))),
    );
    await db.destroy();
    const cleanup = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await cleanup.raw(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
    await cleanup.destroy();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(failed ? 1 : 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
