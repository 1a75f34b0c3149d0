// `npm run demo [-- --short]`: a fleet of simulated workers (the worker SDK, in this process)
// takes a demo batch through every step type while you watch it in the explorer. Uses the
// server of `npm start` when one answers (DEMO_URL, default http://127.0.0.1:$PORT/graphql),
// else starts one. Ends with a summary, checked against what the API reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import {
  CreateBatchDocument,
  CreateProjectDocument,
  LlmUsageByModelDocument,
  RunGroupOutcomeDocument,
  RunGroupProgressDocument,
  StartRunGroupDocument,
  createRunledgerClient,
  createRunledgerWorker,
  type RunledgerClient,
  type RunGroupOutcomeQuery,
  type StepType,
} from '../src/client';
import { demoHandlers, type DemoTally } from './demo/handlers';

const root = path.resolve(__dirname, '..');
const short = process.argv.includes('--short');
const url = process.env.DEMO_URL ?? `http://127.0.0.1:${process.env.PORT ?? 4000}/graphql`;
const STEP_TYPES: StepType[] = ['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE'];
const DOCUMENTS = short ? 16 : 120;
const WORKERS = 6;
const CONCURRENCY = 3;

async function answers(graphqlUrl: string): Promise<boolean> {
  try {
    return (await fetch(new URL('/healthz', graphqlUrl))).ok;
  } catch {
    return false;
  }
}

/** Starts `npm start`'s entry point and resolves with its URL and dev admin key. */
function startServer(): Promise<{ child: ChildProcess; url: string; key: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const served = /serving (http:\/\/\S+\/graphql)/.exec(output);
      const key = /Authorization: Bearer (\S+)/.exec(output);
      if (served && (key || process.env.DEMO_API_KEY))
        resolve({ child, url: served[1]!, key: key?.[1] ?? process.env.DEMO_API_KEY! });
    });
    child.on('exit', (code) => reject(new Error(`the server exited with ${code} before serving:\n${output}`)));
  });
}

function devKey(): string {
  if (process.env.DEMO_API_KEY) return process.env.DEMO_API_KEY;
  const file = path.resolve(root, process.env.RUNLEDGER_DATA_DIR ?? '.runledger', 'dev-admin-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no API key: set DEMO_API_KEY, or run the demo where ${file} exists (npm start writes it)`);
  }
}

/** Every step's outcome, from the API (pages of 100 runs). */
async function outcome(client: RunledgerClient, runGroupId: string) {
  const steps: { status: string; retry: number }[] = [];
  let after: string | null | undefined = null;
  let status: string;
  for (;;) {
    const page: RunGroupOutcomeQuery = await client.request(RunGroupOutcomeDocument, {
      id: runGroupId,
      first: 100,
      after,
    });
    status = page.runGroup!.status;
    for (const run of page.runGroup!.runs.nodes) steps.push(...run.steps);
    if (!page.runGroup!.runs.pageInfo.hasNextPage) break;
    after = page.runGroup!.runs.pageInfo.endCursor;
  }
  const [usage] = (await client.request(LlmUsageByModelDocument, { filter: { runGroupId } })).llmUsage.reduce(
    (sum, u) => [{ calls: sum[0]!.calls + u.calls, costUsd: sum[0]!.costUsd + u.costUsd }],
    [{ calls: 0, costUsd: 0 }],
  );
  return {
    status,
    completed: steps.filter((s) => s.status === 'COMPLETED').length,
    failed: steps.filter((s) => s.status === 'FAILED').length,
    // A FAILED step's last failure was not retried.
    retries: steps.reduce((n, s) => n + (s.status === 'FAILED' ? s.retry - 1 : s.retry), 0),
    llmCalls: usage!.calls,
    llmCostUsd: usage!.costUsd,
  };
}

async function main(): Promise<void> {
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let target = { url, key: '' };
  if (await answers(url)) target.key = devKey();
  else {
    if (process.env.DEMO_URL) throw new Error(`nothing answers at ${url}`);
    console.log('No server at %s: starting one (npm start)...', url);
    server = await startServer();
    target = { url: server.url, key: server.key };
    // Ctrl-C mid-run: the server this demo started stops with it.
    const child = server.child;
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        child.once('exit', () => process.exit(130));
        child.kill('SIGTERM');
      });
  }
  const client = createRunledgerClient({ url: target.url, apiKey: target.key, webSocketImpl: WebSocket });
  try {
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const { createProject } = await client.request(CreateProjectDocument, {
      input: { slug: `demo-${stamp}-${process.pid}`, name: `Demo pipeline ${stamp}` },
    });
    const { createBatch } = await client.request(CreateBatchDocument, {
      input: {
        projectId: createProject.id,
        name: `demo batch ${stamp}`,
        source: 'demo',
        documents: Array.from({ length: DOCUMENTS }, (_, n) => ({
          uri: `s3://demo-bucket/reports/${stamp}/report-${n + 1}.pdf`,
          content: Buffer.from(`Quarterly report ${n + 1} (${stamp})`).toString('base64'),
          mimeType: 'application/pdf',
        })),
      },
    });

    const tally: DemoTally = { completed: 0, failed: 0, retries: 0, llmCalls: 0, llmCostUsd: 0 };
    const handlers = demoHandlers({ tally, timeScale: short ? 0.1 : 1 });
    const workers = Array.from({ length: WORKERS }, (_, n) =>
      createRunledgerWorker({
        url: target.url,
        apiKey: target.key,
        workerId: `demo-${stamp}-worker-${n + 1}`,
        projectId: createProject.id,
        concurrency: CONCURRENCY,
        handlers,
        webSocketImpl: WebSocket,
      }),
    );
    await Promise.all(workers.map((w) => w.start()));

    const { startRunGroup } = await client.request(StartRunGroupDocument, {
      input: {
        batchId: createBatch.id,
        name: 'demo: ingest to route',
        workflowDefinitionId: 'demo-ingestion',
        steps: STEP_TYPES.map((type) => ({ name: type.toLowerCase(), type, maxRetries: 2 })),
      },
    });
    const explorer = target.url;
    console.log(`
  ${WORKERS} workers x ${CONCURRENCY} slots are taking ${DOCUMENTS} documents through ${STEP_TYPES.length} steps.
  Watch it live: open ${explorer}, third tab (StepStatus subscription), with
    { "runGroupId": "${startRunGroup.id}" }
  or run: subscription { runGroupProgress(runGroupId: "${startRunGroup.id}") { total completed failed fractionDone } }
`);

    // The same subscription the explorer offers, printed as it climbs.
    await new Promise<void>((resolve, reject) => {
      let last = -10;
      client.subscribe(
        RunGroupProgressDocument,
        { runGroupId: startRunGroup.id },
        {
          next: ({ runGroupProgress: p }) => {
            const pct = Math.floor(p.fractionDone * 100);
            if (pct >= last + 10 || p.fractionDone === 1) {
              last = pct;
              console.log(
                `  runs: ${pct}% done (${p.completed} completed, ${p.failed} failed, ${p.running} running of ${p.total})`,
              );
            }
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await Promise.all(workers.map((w) => w.stop()));

    const api = await outcome(client, startRunGroup.id);
    const mine = { ...tally, llmCostUsd: Number(tally.llmCostUsd.toFixed(6)) };
    const theirs = {
      completed: api.completed,
      failed: api.failed,
      retries: api.retries,
      llmCalls: api.llmCalls,
      llmCostUsd: Number(api.llmCostUsd.toFixed(6)),
    };
    console.log(`
  Run group ${startRunGroup.id}: ${api.status}
  steps done:   ${mine.completed}
  retries:      ${mine.retries}
  failures:     ${mine.failed} (steps that failed for good; their runs are FAILED)
  LLM calls:    ${mine.llmCalls}, $${mine.llmCostUsd.toFixed(4)}
`);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      console.error(
        `  The API reports something else: ${JSON.stringify(theirs)} vs the workers' ${JSON.stringify(mine)}`,
      );
      process.exitCode = 1;
    } else console.log('  The API reports the same figures.');
    console.log(`DEMO_SUMMARY ${JSON.stringify({ runGroupId: startRunGroup.id, ...mine })}`);
  } finally {
    await client.dispose();
    if (server) {
      const exited = new Promise((r) => server!.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
