// Worker processes of the SDK (test/worker/fleet.ts) against a real server: 8 workers in two
// processes over 2,000 steps, with a SIGTERMed, a SIGKILLed and a cancelled share of the work.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { createBatch, createProject, must, startRunGroup } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { collect, wsClient } from '../helpers/ws';

const root = path.resolve(__dirname, '../..');
// Short, for a quick takeover, yet long enough that a loaded machine's slow requests do not
// make busy workers look dead.
const LEASE_SECONDS = 5;

interface Fleet {
  name: string;
  child: ChildProcess;
  lines: string[];
  /** Resolves when `count` lines match. */
  waitFor(match: (line: string) => boolean, count?: number): Promise<string[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves at the next line (or exit). */
  changed(): Promise<void>;
}

function startFleet(s: TestServer, projectId: string, name: string, types: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/worker/fleet.ts'], {
    cwd: root,
    env: {
      ...process.env,
      FLEET_URL: s.url,
      FLEET_KEY: TEST_ADMIN_KEY,
      FLEET_PROJECT: projectId,
      FLEET_NAME: name,
      FLEET_TYPES: types.join(','),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      waiters.splice(0).forEach((w) => w());
      resolve({ code, signal });
    }),
  );
  const fleet: Fleet = {
    name,
    child,
    lines,
    exited,
    changed: () => new Promise((resolve) => waiters.push(resolve)),
    waitFor(match, count = 1) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.filter(match);
          if (found.length >= count) return resolve(found);
          if (child.exitCode !== null || child.signalCode !== null)
            return reject(new Error(`${name} exited with ${found.length}/${count} lines:\n${lines.join('\n')}`));
          waiters.push(check);
        };
        check();
      });
    },
  };
  return fleet;
}

/** Resolves when `count` lines of the fleets together match. */
function waitAcross(fleets: Fleet[], match: (line: string) => boolean, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = fleets.flatMap((f) => f.lines.filter(match));
      if (found.length >= count) return resolve(found);
      Promise.race(fleets.map((f) => f.changed())).then(check, reject);
    };
    check();
  });
}

const PROGRESS = `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total completed failed fractionDone } }`;

/**
 * The whole run's budget. Every wait below ends by it with what was expected and what was seen
 * (steps by status, handler starts per process), rather than with the test's bare timeout.
 */
const BUDGET_MS = Number(process.env.FLEET_WAIT_MS ?? 240_000);

describe('a fleet of SDK workers', () => {
  let s: TestServer;
  let ws: Client;
  const fleets: Fleet[] = [];
  let deadline = 0;
  beforeAll(async () => {
    s = await startTestServer({ workerLeaseSeconds: LEASE_SECONDS, poolMax: 20 });
    ws = wsClient(s.url);
  });
  afterAll(async () => {
    for (const f of fleets) if (f.child.exitCode === null && f.child.signalCode === null) f.child.kill('SIGKILL');
    await Promise.all(fleets.map((f) => f.exited));
    await ws.dispose();
    await s.stop();
  });

  const spawnFleet = (...args: Parameters<typeof startFleet>) => {
    const f = startFleet(...args);
    fleets.push(f);
    return f;
  };

  /** Steps by group and status, and lines per process: to tell a lost wake-up from a slow machine. */
  const seen = async (): Promise<string> => {
    const rows: { runGroupId: string; status: string; n: number }[] = await s
      .db('step as s')
      .join('run as r', 'r.id', 's.run_id')
      .groupBy('r.run_group_id', 's.status')
      .select('r.run_group_id', 's.status', s.db.raw('count(*)::int as n'));
    const groups = new Map<string, string[]>();
    for (const r of rows) groups.set(r.runGroupId, [...(groups.get(r.runGroupId) ?? []), `${r.status} ${r.n}`]);
    const open: { id: string; status: string; workerId: string | null; retry: number }[] = await s
      .db('step')
      .whereNotIn('status', ['COMPLETED', 'FAILED', 'CANCELLED'])
      .limit(10)
      .select('id', 'status', 'worker_id', 'retry');
    return [
      `steps by group: ${[...groups].map(([g, c]) => `${g}: ${c.join(', ')}`).join('; ')}`,
      `open steps (first 10): ${JSON.stringify(open)}`,
      `handler lines per process: ${fleets.map((f) => `${f.name} ${f.lines.length}`).join(', ')}`,
    ].join('\n');
  };

  /** `promise`, or, past the budget, a failure saying what was awaited and what was seen. */
  const waitFor = async <T>(what: string, promise: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadline - Date.now())));
    try {
      const result = await Promise.race([promise, late]);
      if (result === 'late') throw new Error(`waited ${BUDGET_MS / 1000} s for ${what}; saw:\n${await seen()}`);
      return result as T;
    } finally {
      clearTimeout(timer);
    }
  };
  const groupEnd = (name: string, id: string, steps: number) =>
    waitFor(`${name} (${steps} steps) to end`, collect(ws, PROGRESS, { id }).waitForEnd(BUDGET_MS + 10_000));
  const startsOf = (f: Fleet) => f.lines.filter((l) => l.startsWith('start '));

  it(
    'processes 2,000 steps exactly once each, honours retries, and recovers the steps of stopped and killed workers',
    async () => {
      deadline = Date.now() + BUDGET_MS;
      const project = await createProject(s);
      // Processes whose handlers hang: one to be SIGTERMed (its steps are retried at once), one to
      // be SIGKILLed (its steps are taken over when the lease expires).
      const terminated = spawnFleet(s, project.id, 'term', ['ROUTE'], {
        FLEET_WORKERS: '1',
        FLEET_CONCURRENCY: '4',
        FLEET_HANG_FIRST: '1',
      });
      const killed = spawnFleet(s, project.id, 'kill', ['ENRICH'], {
        FLEET_WORKERS: '1',
        FLEET_CONCURRENCY: '4',
        FLEET_HANG_FIRST: '1',
      });
      await waitFor(
        'the term and kill processes to be ready',
        Promise.all([terminated.waitFor((l) => l === 'ready'), killed.waitFor((l) => l === 'ready')]),
      );
      const small = await createBatch(s, project.id, 4);
      const routed = await startRunGroup(s, small.id, [
        { name: 'route', type: 'ROUTE', config: { behaviour: 'hangFirst' }, maxRetries: 1 },
      ]);
      const enriched = await startRunGroup(s, small.id, [
        { name: 'enrich', type: 'ENRICH', config: { behaviour: 'hangFirst' }, maxRetries: 1 },
      ]);
      await waitFor(
        "4 handler starts in 'term'",
        terminated.waitFor((l) => l.startsWith('start '), 4),
      );
      await waitFor(
        "4 handler starts in 'kill'",
        killed.waitFor((l) => l.startsWith('start '), 4),
      );

      // The fleet under test: 8 workers in 2 processes.
      const all = ['INGEST', 'PARSE', 'EMBED', 'STORE', 'ROUTE', 'ENRICH', 'VALIDATE'];
      const a = spawnFleet(s, project.id, 'a', all);
      const b = spawnFleet(s, project.id, 'b', all);
      await waitFor(
        'processes a and b to be ready',
        Promise.all([a.waitFor((l) => l === 'ready'), b.waitFor((l) => l === 'ready')]),
      );

      // 500 documents x 4 steps = 2,000 steps; FLEET_DOCUMENTS makes it smaller on a crowded machine.
      const documents = Number(process.env.FLEET_DOCUMENTS ?? 500);
      const big = await createBatch(s, project.id, documents);
      const spec = ['INGEST', 'PARSE', 'EMBED', 'STORE'].map((type) => ({
        name: type.toLowerCase(),
        type,
        config: { behaviour: 'normal' },
        maxRetries: 2,
      }));
      const main = await startRunGroup(s, big.id, spec);
      const mainEnd = groupEnd('the main group', main.id, documents * 4);
      const routedEnd = groupEnd("the SIGTERMed worker's group", routed.id, 4);
      const enrichedEnd = groupEnd("the SIGKILLed worker's group", enriched.id, 4);

      terminated.child.kill('SIGTERM');
      killed.child.kill('SIGKILL');
      // SIGTERM: the worker stops, reports its steps ERROR, and the signal then ends the process.
      expect(await waitFor("'term' to exit after SIGTERM", terminated.exited)).toEqual({
        code: null,
        signal: 'SIGTERM',
      });
      await Promise.all([mainEnd, routedEnd, enrichedEnd]);

      // Every step of the big group is final, with the attempts its deterministic failures need.
      const steps = await s
        .db('step as s')
        .join('run as r', 'r.id', 's.run_id')
        .where('r.run_group_id', main.id)
        .select('s.id', 's.type', 's.status', 's.retry');
      expect(steps).toHaveLength(documents * 4);
      const starts = new Map<string, number>();
      for (const line of [...startsOf(a), ...startsOf(b)]) {
        const id = line.split(' ')[2]!;
        starts.set(id, (starts.get(id) ?? 0) + 1);
      }
      const finals = await s
        .db('lifecycle_event')
        .where('run_group_id', main.id)
        .whereNotNull('step_id')
        .whereIn('status', ['COMPLETED', 'FAILED', 'CANCELLED'])
        .groupBy('step_id')
        .select('step_id', s.db.raw('count(*)::int as n'));
      const finalEvents = new Map(finals.map((r: { stepId: string; n: number }) => [r.stepId, r.n]));
      const wrong: string[] = [];
      let retried = 0;
      let failed = 0;
      for (const step of steps) {
        const bucket = parseInt(step.id.slice(-8), 16) % 50;
        const expected =
          bucket === 2 && step.type === 'STORE'
            ? { status: 'FAILED', retry: 3 }
            : { status: 'COMPLETED', retry: bucket < 2 ? 1 : 0 };
        if (expected.retry === 1) retried++;
        if (expected.status === 'FAILED') failed++;
        const actual = { status: step.status, retry: step.retry };
        const attempts = starts.get(step.id) ?? 0;
        if (
          actual.status !== expected.status ||
          actual.retry !== expected.retry ||
          attempts !== Math.min(expected.retry, 2) + 1 ||
          finalEvents.get(step.id) !== 1
        )
          wrong.push(
            `${step.id} ${step.type}: ${JSON.stringify({ actual, expected, attempts, finals: finalEvents.get(step.id) })}`,
          );
      }
      expect(wrong).toEqual([]);
      expect(retried).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(0);
      // Handler errors are recorded as ERROR (with the message), then FAILED.
      const permanent = steps.find((st) => st.status === 'FAILED')!;
      const history = await s
        .db('lifecycle_event')
        .where('step_id', permanent.id)
        .whereIn('type', ['STEP_FAILED'])
        .orderBy('id')
        .select('status', 'status_message');
      expect(history).toEqual([
        { status: 'ERROR', statusMessage: 'permanent failure' },
        { status: 'ERROR', statusMessage: 'permanent failure' },
        { status: 'FAILED', statusMessage: 'permanent failure' },
      ]);

      // The SIGTERMed worker's steps: ERROR "worker stopped", claimed again at once (well before
      // the lease would have expired) and completed by the fleet.
      for (const group of [routed, enriched]) {
        const data = await must(
          s,
          `query ($id: ID!) { runGroup(id: $id) { status runs(first: 10) { nodes { steps(first: 1) { status worker { id } } } } } }`,
          { id: group.id },
        );
        expect(data.runGroup.status).toBe('COMPLETED');
        for (const run of data.runGroup.runs.nodes) expect(run.steps[0].worker.id).toMatch(/^[ab]-/);
      }
      const stopped = await s
        .db('lifecycle_event')
        .where({ run_group_id: routed.id, status: 'ERROR' })
        .select('step_id', 'status_message', 'occurred_at');
      expect(stopped).toHaveLength(4);
      for (const e of stopped) {
        expect(e.statusMessage).toBe('worker stopped');
        const [again] = await s
          .db('lifecycle_event')
          .where({ step_id: e.stepId, type: 'STEP_START' })
          .where('occurred_at', '>', e.occurredAt)
          .select('occurred_at');
        expect(new Date(again.occurredAt).getTime() - new Date(e.occurredAt).getTime()).toBeLessThan(
          LEASE_SECONDS * 1000,
        );
      }
      // The SIGKILLed worker's steps: taken over only after the lease.
      const takeovers = await s
        .db('lifecycle_event')
        .where({ run_group_id: enriched.id, type: 'STEP_START', previous_status: 'RUNNING' })
        .select('occurred_at', 'handler_name');
      expect(takeovers).toHaveLength(4);
      // The lease runs from the killed worker's last check-in (both times by the database clock).
      const { lastCheckinAt } = await s.db('worker').where({ id: 'kill-0' }).first('last_checkin_at');
      for (const t of takeovers) {
        expect(t.handlerName).toMatch(/^[ab]-/);
        expect(new Date(t.occurredAt).getTime() - new Date(lastCheckinAt).getTime()).toBeGreaterThanOrEqual(
          LEASE_SECONDS * 1000,
        );
      }

      // A cancelled group aborts the handlers running its steps, and nothing is reported after.
      const cancelled = await startRunGroup(s, small.id, [
        { name: 'validate', type: 'VALIDATE', config: { behaviour: 'hang' } },
      ]);
      const ids: string[] = (
        await must(
          s,
          `query ($id: ID!) { runGroup(id: $id) { runs(first: 10) { nodes { steps(first: 1) { id } } } } }`,
          {
            id: cancelled.id,
          },
        )
      ).runGroup.runs.nodes.map((r: { steps: { id: string }[] }) => r.steps[0]!.id);
      const linesOf = (kind: string) => (l: string) => l.startsWith(`${kind} `) && ids.includes(l.split(' ')[2]!);
      await waitFor('4 handler starts of the group to cancel in a and b', waitAcross([a, b], linesOf('start'), 4));
      await must(s, `mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: cancelled.id });
      const aborts = await waitFor('4 handler aborts after cancelRunGroup', waitAcross([a, b], linesOf('abort'), 4));
      // Told by stepsRevoked, not found out at a heartbeat.
      expect(aborts.filter((l) => !/ was cancelled/.test(l))).toEqual([]);
      // The handlers' errors after the abort are never reported over CANCELLED (their reports are
      // refused: the claims' versions are gone).
      const events = await s.db('lifecycle_event').whereIn('step_id', ids).orderBy('id').select('step_id', 'status');
      for (const id of ids)
        expect(events.filter((e) => e.stepId === id).map((e) => e.status)).toEqual(['RUNNING', 'CANCELLED']);
    },
    BUDGET_MS + 30_000,
  );
});
