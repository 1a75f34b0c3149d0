// A model-based test of the run state machine and the event log (issue 12, "How we will know"):
// random rounds of commands from 2-4 concurrent workers and an operator drive the real API
// while a project-wide subscriber follows with random reconnects by cursor. After every round
// the database must satisfy the rules the README states (recomputed here, independently of
// services/rollups.ts); at the end the subscriber must hold the committed log, once each, in
// position order per step, with each step's last event = its status.
// MODEL_SEED replays a seed fast-check printed; MODEL_RUNS sets the number of sequences (soak).
import fc from 'fast-check';
import { UPDATE, createBatch, createProject, startRunGroup } from '../helpers/api';
import { errorCodes, startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { collect, listening, wsClient, type Received } from '../helpers/ws';
import { parsePositionCursor } from '../../src/events/cursor';
import { groupRule, runRule } from '../helpers/rules';

// 120 short sequences take ~50 s on a loaded 2-core machine (CI); `npm run soak` runs 5,000.
const RUNS = Number(process.env.MODEL_RUNS ?? 120);
const SEED = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);
const DOCUMENTS = 3;
const STEPS = [
  { name: 'a', type: 'INGEST', maxRetries: 1 },
  { name: 'b', type: 'PARSE', maxRetries: 0 },
  { name: 'c', type: 'EMBED', maxRetries: 1 },
];
const REPORTED = ['COMPLETED', 'COMPLETED', 'ERROR', 'FAILED', 'CANCELLED'] as const;
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
/** Codes a command may legitimately meet under races: the model's rejections, never a server fault. */
const EXPECTED_CODES = new Set(['CONFLICT', 'BAD_USER_INPUT', 'NOT_FOUND']);

const EVENTS = `subscription ($f: EventFilter!, $after: String) { lifecycleEvents(filter: $f, after: $after) {
  id cursor type status step { id } } }`;

type Command =
  | { kind: 'claim'; actor: number }
  | {
      kind: 'report';
      actor: number;
      step: number;
      status: (typeof REPORTED)[number];
      as: 'self' | 'holder' | 'version' | 'none';
    }
  | { kind: 'heartbeat'; actor: number }
  | { kind: 'expire'; actor: number }
  | { kind: 'cancel' }
  | { kind: 'deleteUri'; document: number }
  | { kind: 'deleteGroup' }
  | { kind: 'start' }
  | { kind: 'reconnect' };

const command = (actors: number): fc.Arbitrary<Command> => {
  const actor = fc.nat({ max: actors - 1 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('claim' as const), actor }) },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('report' as const),
        actor,
        step: fc.nat({ max: DOCUMENTS * STEPS.length * 2 }),
        status: fc.constantFrom(...REPORTED),
        as: fc.constantFrom('self' as const, 'holder' as const, 'holder' as const, 'version' as const, 'none' as const),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), actor }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), actor }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('deleteUri' as const), document: fc.nat({ max: DOCUMENTS - 1 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'deleteGroup' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'start' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
  );
};

/** A scenario: 2-4 actors, a few rounds, each round 1-4 commands sent at once. */
const scenario = fc.integer({ min: 2, max: 4 }).chain((actors) =>
  fc.record({
    actors: fc.constant(actors),
    runs: fc.integer({ min: 2, max: DOCUMENTS }),
    rounds: fc.array(fc.array(command(actors), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
  }),
);

interface StepRow {
  id: string;
  runId: string;
  number: number;
  status: string;
  workerId: string | null;
  version: number;
}

describe('the state machine and the event log under random concurrent commands (model)', () => {
  let s: TestServer;
  let sequences = 0;
  /** Outcomes per command kind ("claim ok", "report CONFLICT"...), printed to show what ran. */
  const outcomes = new Map<string, number>();
  beforeAll(async () => {
    s = await startTestServer({ poolMax: 10 });
  });
  afterAll(() => s.stop());

  const workerName = (project: string, actor: number) => `m-${project.slice(0, 8)}-${actor}`;

  async function stepsOf(projectId: string): Promise<StepRow[]> {
    return (await s
      .db('step')
      .where({ projectId })
      .orderBy(['runId', 'number'])
      .select('id', 'runId', 'number', 'status', 'workerId', 'version')) as StepRow[];
  }

  /** The invariants that hold between rounds, read from the database. */
  async function checkInvariants(
    projectId: string,
    history: string,
    endedAs: Map<string, string>,
    roundDeleted: boolean,
  ) {
    const steps = await stepsOf(projectId);
    const runs = (await s.db('run').where({ projectId }).select('id', 'runGroupId', 'status')) as {
      id: string;
      runGroupId: string;
      status: string;
    }[];
    const groups = (await s.db('run_group').where({ projectId }).select('id', 'status')) as {
      id: string;
      status: string;
    }[];
    for (const run of runs) {
      const own = steps.filter((x) => x.runId === run.id);
      expect({ history, run: run.id, steps: own.map((x) => x.status), status: run.status }).toEqual({
        history,
        run: run.id,
        steps: own.map((x) => x.status),
        status: runRule(own.map((x) => x.status)),
      });
      for (const step of own.filter((x) => x.status === 'RUNNING')) {
        // RUNNING only after every earlier step COMPLETED, with a holder.
        expect({
          history,
          step: step.number,
          before: own.filter((x) => x.number < step.number).map((x) => x.status),
        }).toEqual({
          history,
          step: step.number,
          before: own.filter((x) => x.number < step.number).map(() => 'COMPLETED'),
        });
        expect(step.workerId).not.toBeNull();
      }
    }
    for (const group of groups) {
      const own = runs.filter((r) => r.runGroupId === group.id).map((r) => r.status);
      // A final group keeps its status (its one GROUP_END said so): a delete that removes its
      // runs afterwards does not reopen or re-end it. So the rule is checked while the group is
      // open and when it is first seen final, unless a delete in that same round may have come
      // after the end; from then on the status must never change.
      const ended = endedAs.get(group.id);
      if (ended !== undefined)
        expect({ history, group: group.id, status: group.status }).toEqual({ history, group: group.id, status: ended });
      else if (!FINAL.has(group.status) || !roundDeleted)
        expect({ history, group: group.id, runs: own, status: group.status }).toEqual({
          history,
          group: group.id,
          runs: own,
          status: groupRule(own),
        });
      if (FINAL.has(group.status)) {
        endedAs.set(group.id, group.status);
        expect({ history, group: group.id, open: own.filter((x) => !FINAL.has(x)) }).toEqual({
          history,
          group: group.id,
          open: [],
        });
      }
      if (FINAL.has(group.status))
        expect(
          steps.filter((x) => x.status === 'RUNNING' && runs.find((r) => r.id === x.runId)?.runGroupId === group.id),
        ).toEqual([]);
    }
  }

  async function runScenario(sc: { actors: number; runs: number; rounds: Command[][] }) {
    sequences += 1;
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, sc.runs);
    const uris = (await s.db('document_uri').where({ batchId: batch.id }).orderBy('uri').select('uri')).map(
      (u: { uri: string }) => u.uri,
    );
    const client = wsClient(s.url);
    const received: Received<{
      lifecycleEvents: { id: string; cursor: string; type: string; status: string; step: { id: string } | null };
    }>[] = [];
    const delivered = () => received.flatMap((r) => r.values.map((v) => v.lifecycleEvents));
    const subscribe = async (after: string | null) => {
      const subscribed = listening(s);
      received.push(collect(client, EVENTS, { f: { projectId: project.id }, after }));
      await subscribed(1);
    };
    const log: string[] = [];
    try {
      await subscribe(null);
      await startRunGroup(s, batch.id, STEPS);
      // GROUP_START arrived: from now on a reconnect always has a cursor to resume from.
      await received[0]!.waitFor(1);
      let groupsStarted = 1;
      /** Each group's status when it was first seen final. */
      const endedAs = new Map<string, string>();
      await checkInvariants(project.id, 'start', endedAs, false);

      const send = async (c: Command): Promise<GraphQLResponse | null> => {
        const worker = 'actor' in c ? workerName(project.id, c.actor) : '';
        switch (c.kind) {
          case 'claim':
            return s.gql(`mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id } }`, {
              i: { workerId: worker, projectId: project.id },
            });
          case 'report': {
            const steps = await stepsOf(project.id);
            if (steps.length === 0) return null;
            // A report as the holder (or with its version) aims at a RUNNING step when there is one.
            const running = steps.filter((x) => x.status === 'RUNNING');
            const pool = (c.as === 'holder' || c.as === 'version') && running.length > 0 ? running : steps;
            const step = pool[c.step % pool.length]!;
            const by =
              c.as === 'self'
                ? { workerId: worker }
                : c.as === 'holder'
                  ? step.workerId
                    ? { workerId: step.workerId }
                    : {}
                  : c.as === 'version'
                    ? { expectedVersion: step.version }
                    : {};
            return s.gql(UPDATE, { i: { stepId: step.id, status: c.status, ...by } });
          }
          case 'heartbeat':
            return s.gql(`mutation ($id: ID!, $p: ID) { workerCheckin(id: $id, projectId: $p) { id } }`, {
              id: worker,
              p: project.id,
            });
          case 'expire':
            // The lease runs out: the worker's last check-in moves an hour back (a wait, without waiting).
            await s
              .db('worker')
              .where({ id: worker, projectId: project.id })
              .update({ lastCheckinAt: s.db.raw(`now() - interval '1 hour'`) });
            return null;
          case 'cancel':
          case 'deleteGroup': {
            const group = await s
              .db('run_group')
              .where({ projectId: project.id })
              .orderBy('createdAt', 'desc')
              .first('id');
            if (!group) return null;
            return c.kind === 'cancel'
              ? s.gql(`mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id: group.id })
              : s.gql(`mutation ($id: ID!) { deleteRunGroup(id: $id) { totalDeleted } }`, { id: group.id });
          }
          case 'deleteUri':
            return s.gql(`mutation ($i: DeleteDocumentUriInput!) { deleteDocumentUri(input: $i) { totalDeleted } }`, {
              i: { projectId: project.id, source: 'fs', uri: uris[c.document % uris.length] },
            });
          case 'start':
            if (groupsStarted >= 2) return null;
            groupsStarted += 1;
            return s.gql(`mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id } }`, {
              i: { batchId: batch.id, workflowDefinitionId: 'wf', steps: STEPS },
            });
          case 'reconnect': {
            const last = delivered().at(-1);
            // Without a cursor a new subscription starts live and could miss events: only resume.
            if (!last) return null;
            received.at(-1)!.unsubscribe();
            await subscribe(last.cursor);
            return null;
          }
        }
      };

      for (const [n, round] of sc.rounds.entries()) {
        const results = await Promise.all(round.map(send));
        results.forEach((res, i) => {
          const outcome = res ? (res.errors ? errorCodes(res).join(',') : 'ok') : '-';
          log.push(`${n}: ${JSON.stringify(round[i])} -> ${outcome}`);
          const key = `${round[i]!.kind}${round[i]!.kind === 'report' ? ` ${(round[i] as { status: string }).status}` : ''} ${outcome}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        });
        for (const res of results)
          if (res?.errors)
            expect({
              round: n,
              codes: errorCodes(res).filter((code) => !EXPECTED_CODES.has(code ?? '')),
              errors: res.errors,
            }).toMatchObject({
              codes: [],
            });
        const deleted = round.some((c) => c.kind === 'deleteUri' || c.kind === 'deleteGroup');
        await checkInvariants(project.id, log.join('\n'), endedAs, deleted);
      }

      // The end: the subscriber holds every committed event of the project, once each.
      const committed = (await s
        .db('lifecycle_event')
        .where({ projectId: project.id })
        .whereNotNull('position')
        .orderBy('position')
        .select('id', 'position', 'stepId', 'status')) as {
        id: string;
        position: string;
        stepId: string | null;
        status: string;
      }[];
      const current = received.at(-1)!;
      const ids = () => new Set(delivered().map((e) => e.id));
      // Resumes overlap with nothing: wait until every committed event has arrived.
      for (let i = 0; i < 200 && committed.some((e) => !ids().has(String(e.id))); i++)
        await current.waitFor(current.values.length + 1, 5_000).catch(() => undefined);
      const stream = delivered();
      const seen = stream.map((e) => e.id);
      expect({ history: log.join('\n'), duplicates: seen.filter((id, i) => seen.indexOf(id) !== i) }).toEqual({
        history: log.join('\n'),
        duplicates: [],
      });
      expect({
        history: log.join('\n'),
        missing: committed.filter((e) => !ids().has(String(e.id))).map((e) => e.id),
      }).toEqual({
        history: log.join('\n'),
        missing: [],
      });
      // Per step: positions increase, and the last event delivered is the step's status.
      const byStep = new Map<string, { position: number; status: string }[]>();
      for (const e of stream) {
        if (!e.step) continue;
        const list = byStep.get(e.step.id) ?? [];
        list.push({ position: parsePositionCursor(e.cursor), status: e.status });
        byStep.set(e.step.id, list);
      }
      for (const step of await stepsOf(project.id)) {
        const events = byStep.get(step.id) ?? [];
        const positions = events.map((e) => e.position);
        expect({ step: step.id, positions }).toEqual({
          step: step.id,
          positions: [...positions].sort((a, b) => a - b),
        });
        if (events.length > 0)
          expect({ history: log.join('\n'), step: step.id, last: events.at(-1)!.status }).toEqual({
            history: log.join('\n'),
            step: step.id,
            last: step.status,
          });
        else expect({ step: step.id, status: step.status }).toEqual({ step: step.id, status: 'PENDING' });
      }
      // Every final group still there has said so exactly once.
      for (const group of await s.db('run_group').where({ projectId: project.id }).select('id', 'status')) {
        const groupEnds = (
          await s.db('lifecycle_event').where({ runGroupId: group.id, type: 'GROUP_END' }).select('status')
        ).map((e: { status: string }) => e.status);
        expect({ group: group.id, groupEnds }).toEqual({
          group: group.id,
          groupEnds: FINAL.has(group.status) ? [group.status] : [],
        });
      }
    } finally {
      await client.dispose();
    }
  }

  it(
    'keeps rollups, claims and the delivered log true to the rules for every interleaving',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, (sc) => runScenario(sc)),
        { numRuns: RUNS, seed: SEED, endOnFailure: process.env.MODEL_SHRINK !== '1' },
      );
      // Printed so CI's log and the soak say how many sequences really ran.
      console.log(`model: ${sequences} sequences`, Object.fromEntries([...outcomes].sort()));
      expect(sequences).toBeGreaterThanOrEqual(RUNS);
    },
    Number(process.env.MODEL_TIMEOUT_MS ?? 600_000),
  );
});
