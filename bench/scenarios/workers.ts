// W1: how soon a step that became claimable starts in an idle SDK worker (its slot waits on
// claimedStep), for each way a step becomes claimable, next to a worker that polls every second.
// W2: SQL statements per second that 50 idle SDK workers cost the server, next to 50 workers
// polling every second.
import type { Knex } from 'knex';
import WebSocket from 'ws';
import {
  ClaimNextStepDocument,
  ReportStepStatusDocument,
  createRunledgerClient,
  createRunledgerWorker,
  type RunledgerWorker,
  type WorkerStep,
} from '../../src/client';
import { commitClock, EVENT_COMMIT_MS } from '../commitTimes';
import { KEY, gql, log, metric, pct, sleep, type Scenario } from '../harness';

/** Every pool's statements: the workers' claims and the bus's reads alike. */
const ALL_STATEMENTS = 'runledger_sql_statements_total';

/** Resolves when the predicate holds for a started step, with the performance.now() of its start. */
class Starts {
  private readonly seen: { step: WorkerStep; at: number }[] = [];
  private waiters: (() => void)[] = [];
  add(step: WorkerStep, at: number) {
    this.seen.push({ step, at });
    this.waiters.splice(0).forEach((w) => w());
  }
  /** Also finds starts seen before the call (a handler may start before the response arrives). */
  wait(match: (s: WorkerStep) => boolean): Promise<{ step: WorkerStep; at: number }> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.seen.find((s) => match(s.step));
        if (found) resolve(found);
        else this.waiters.push(check);
      };
      check();
    });
  }
}

const ms = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} / p99 ${pct(xs, 99).toFixed(1)} ms`;

/**
 * When the transaction that wrote the event committed (track_commit_timestamp), as wall-clock
 * ms: the event of the change that made a step claimable (GROUP_START, the previous step's
 * STEP_END COMPLETED, a STEP_FAILED ERROR with a retry left).
 */
async function committedAt(
  db: Knex,
  where: { runGroupId: string; type: string; status: string; stepId?: string },
): Promise<number> {
  const { rows } = (await db.raw(
    `select ${EVENT_COMMIT_MS} as t
       from lifecycle_event where run_group_id = :runGroupId and type = :type and status = :status
       ${where.stepId ? 'and step_id = :stepId' : ''}
      order by id limit 1`,
    where,
  )) as { rows: { t: string | null }[] };
  if (!rows[0]?.t) throw new Error(`no commit time for ${where.type} ${where.status} of group ${where.runGroupId}`);
  return Number(rows[0].t);
}

export const workers: Scenario = {
  ids: ['W1', 'W2'],
  groupSizes: [],
  async run(b) {
    const { rl, smoke, rows, db } = b;
    const url = `${rl.url}/graphql`;
    const n = smoke ? 5 : 100;
    const pollN = smoke ? 3 : 20;
    const idleSeconds = smoke ? 2 : 10;
    const slug = `workers-${Date.now()}`;
    const { createProject: project } = await gql<{ createProject: { id: string } }>(
      rl.url,
      `mutation ($s: String!) { createProject(input: { slug: $s, name: $s }) { id } }`,
      { s: slug },
    );
    const batch = await gql<{ createBatch: { documents: { nodes: { document: { id: string } }[] } } }>(
      rl.url,
      `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { documents(first: 100) { nodes { document { id } } } } }`,
      {
        i: {
          projectId: project.id,
          name: slug,
          source: 'bench',
          documents: Array.from({ length: 100 }, (_, i) => ({
            uri: `/w/${i}`,
            content: 'eA==',
            mimeType: 'text/plain',
          })),
        },
      },
    );
    const docs = batch.createBatch.documents.nodes.map((d) => d.document.id);
    const startGroup = async (steps: unknown[], i: number) =>
      (
        await gql<{ startRunGroup: { id: string } }>(
          rl.url,
          `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`,
          { i: { documentIds: [docs[i % docs.length]], workflowDefinitionId: 'bench-workers', steps } },
        )
      ).startRunGroup.id;

    // W1 with four idle SDK workers taking ROUTE steps.
    const starts = new Starts();
    const failedAt = new Map<string, number>();
    const sdk: RunledgerWorker[] = Array.from({ length: 4 }, (_, i) =>
      createRunledgerWorker({
        url,
        apiKey: KEY,
        workerId: `${slug}-sdk-${i}`,
        projectId: project.id,
        webSocketImpl: WebSocket,
        handlers: {
          ROUTE: (step) => {
            const at = performance.now();
            starts.add(step, at);
            if ((step.config as { failFirst?: boolean } | null)?.failFirst && step.retry === 0) {
              failedAt.set(step.id, performance.now());
              throw new Error('first attempt fails (bench)');
            }
          },
        },
      }),
    );
    await Promise.all(sdk.map((w) => w.start()));
    await Promise.all(sdk.map((w) => w.idle()));
    const driver = createRunledgerClient({ url, apiKey: KEY });
    // From the commit that made the step claimable (the definition), when PostgreSQL
    // keeps commit times (the bench's own cluster does); else from the response of the request
    // that committed it, which comes later (its sequencing, serialising and sending).
    const clock = await commitClock(db);
    const latency = { start: [] as number[], completed: [] as number[], retry: [] as number[] };
    /** The same from the response of the request that committed (the retry's: from the throw). */
    const fromResponse = { start: [] as number[], completed: [] as number[], retry: [] as number[] };
    const sinceCommit = async (at: number, where: Parameters<typeof committedAt>[1]) =>
      clock ? at - clock.from(await committedAt(db, where)) : null;
    // Each sample starts with every worker idle (its slots waiting, nothing running or being
    // reported): the previous sample's report and re-subscription are not part of the next one.
    const settled = () => Promise.all(sdk.map((w) => w.idle()));
    for (let i = 0; i < n; i++) {
      // A group starts: from startRunGroup's response to the handler's start.
      await settled();
      {
        const group = await startGroup([{ name: 'route', type: 'ROUTE' }], i);
        const done = performance.now();
        const { at } = await starts.wait((s) => s.runGroupId === group);
        fromResponse.start.push(Math.max(0, at - done));
        latency.start.push(
          (await sinceCommit(at, { runGroupId: group, type: 'GROUP_START', status: 'PENDING' })) ??
            Math.max(0, at - done),
        );
      }
      // The previous step completes: from the COMPLETED report's response.
      await settled();
      {
        const group = await startGroup(
          [
            { name: 'ingest', type: 'INGEST' },
            { name: 'route', type: 'ROUTE' },
          ],
          i,
        );
        const { claimNextStep: first } = await driver.request(ClaimNextStepDocument, {
          input: { workerId: `${slug}-driver`, types: ['INGEST'], runGroupId: group },
        });
        await driver.request(ReportStepStatusDocument, {
          input: {
            stepId: first!.id,
            status: 'COMPLETED',
            workerId: `${slug}-driver`,
            expectedVersion: first!.version,
          },
        });
        const done = performance.now();
        const { at } = await starts.wait((s) => s.runGroupId === group);
        fromResponse.completed.push(Math.max(0, at - done));
        latency.completed.push(
          (await sinceCommit(at, { runGroupId: group, type: 'STEP_END', status: 'COMPLETED', stepId: first!.id })) ??
            Math.max(0, at - done),
        );
      }
      // A retry: from the commit of the SDK's own ERROR report (or from the handler's throw,
      // the report's round trip included) to the next attempt.
      await settled();
      {
        const group = await startGroup(
          [{ name: 'route', type: 'ROUTE', maxRetries: 1, config: { failFirst: true } }],
          i,
        );
        const { step, at } = await starts.wait((s) => s.runGroupId === group && s.retry === 1);
        fromResponse.retry.push(at - failedAt.get(step.id)!);
        latency.retry.push(
          (await sinceCommit(at, { runGroupId: group, type: 'STEP_FAILED', status: 'ERROR', stepId: step.id })) ??
            at - failedAt.get(step.id)!,
        );
      }
    }
    await Promise.all(sdk.map((w) => w.stop()));
    const all = [...latency.start, ...latency.completed, ...latency.retry];

    // The same claims by a worker that polls every second.
    const polled: number[] = [];
    {
      let stop = false;
      const poller = (async () => {
        while (!stop) {
          const { claimNextStep: step } = await driver.request(ClaimNextStepDocument, {
            input: { workerId: `${slug}-poller`, types: ['ROUTE'], projectId: project.id },
          });
          if (step) {
            starts.add({ ...(step as unknown as WorkerStep), runGroupId: step.run.runGroup.id }, performance.now());
            await driver.request(ReportStepStatusDocument, {
              input: {
                stepId: step.id,
                status: 'COMPLETED',
                workerId: `${slug}-poller`,
                expectedVersion: step.version,
              },
            });
          } else await sleep(1000);
        }
      })();
      for (let i = 0; i < pollN; i++) {
        const group = await startGroup([{ name: 'route', type: 'ROUTE' }], i);
        const done = performance.now();
        polled.push(Math.max(0, (await starts.wait((s) => s.runGroupId === group)).at - done));
      }
      stop = true;
      await poller;
    }
    const since = clock ? 'from the commit' : 'from the response';
    const responseAll = [...fromResponse.start, ...fromResponse.completed];
    log(
      `W1 SDK, ${since}: start ${ms(latency.start)}, completed ${ms(latency.completed)}, retry ${ms(latency.retry)}; ` +
        `from the response: start ${ms(fromResponse.start)}, completed ${ms(fromResponse.completed)}, retry from the throw ${ms(fromResponse.retry)}; polling ${ms(polled)}`,
    );
    rows.push({
      id: 'W1',
      scenario: `claimable -> handler start in an idle SDK worker (${n} each: group start, previous step COMPLETED, retry), vs a worker polling every 1 s`,
      figures:
        `SDK, ${since}: ${ms(all)} (group start ${ms(latency.start)}; completed ${ms(latency.completed)}; retry ${ms(latency.retry)}); ` +
        `polling, from the response: ${ms(polled)}`,
      ratio: `p99 ${(pct(polled, 99) / Math.max(pct(all, 99), 0.1)).toFixed(0)}x faster than polling`,
      target: 'p99 <= 10 ms',
      met: pct(all, 99) <= 10,
      note: clock
        ? `From PostgreSQL's commit time of the change that made the step claimable (track_commit_timestamp; clocks matched within ${clock.uncertaintyMs.toFixed(2)} ms) to the handler's start, on one machine. ` +
          `From the committing request's response instead: group start and completed ${ms(responseAll)}; a retry from the handler's throw (its ERROR report included) ${ms(fromResponse.retry)}.`
        : 'Measured from the response of the request whose commit made the step claimable (this database keeps no commit times; the commit is earlier), on one machine.',
    });

    // W2: statements per second while idle.
    const rate = async (label: string) => {
      await sleep(500);
      const before = await metric(rl.url, ALL_STATEMENTS);
      const t = performance.now();
      await sleep(idleSeconds * 1000);
      const after = await metric(rl.url, ALL_STATEMENTS);
      const perSecond = (after - before) / ((performance.now() - t) / 1000);
      log(`W2 ${label}: ${perSecond.toFixed(1)} statements/s`);
      return perSecond;
    };
    const baseline = await rate('no workers');
    const idle = Array.from({ length: 50 }, (_, i) =>
      createRunledgerWorker({
        url,
        apiKey: KEY,
        workerId: `${slug}-idle-${i}`,
        projectId: project.id,
        webSocketImpl: WebSocket,
        handlers: { ENRICH: () => undefined },
      }),
    );
    await Promise.all(idle.map((w) => w.start()));
    await Promise.all(idle.map((w) => w.idle()));
    const sleeping = await rate('50 idle SDK workers');
    await Promise.all(idle.map((w) => w.stop()));
    let polling = true;
    const pollers = Array.from({ length: 50 }, async (_, i) => {
      await sleep((i * 1000) / 50);
      while (polling) {
        await driver.request(ClaimNextStepDocument, {
          input: { workerId: `${slug}-poll-${i}`, types: ['ENRICH'], projectId: project.id },
        });
        await sleep(1000);
      }
    });
    const polls = await rate('50 workers polling every 1 s');
    polling = false;
    await Promise.all(pollers);
    await driver.dispose();
    const extra = Math.max(0, sleeping - baseline);
    rows.push({
      id: 'W2',
      scenario:
        'SQL statements/s of 50 idle SDK workers (above the server on its own), vs 50 workers polling every 1 s',
      figures: `SDK ${extra.toFixed(1)}/s (server alone ${baseline.toFixed(1)}/s); polling ${(polls - baseline).toFixed(0)}/s`,
      ratio: `${((polls - baseline) / Math.max(extra, 0.1)).toFixed(0)}x fewer`,
      target: '~0 (polling: 50 claims/s)',
      met: extra < 1,
    });
  },
};
