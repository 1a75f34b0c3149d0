import type { Knex } from 'knex';
import type { ClaimStepInput, ReleaseStepInput, UpdateStepStatusInput } from '../__generated__/resolvers-types';
import { inScope } from '../auth/scope';
import { rawRows } from '../db/raw';
import { singleStatement, transaction } from '../db/transaction';
import { badUserInput, conflict, notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { Document, Run, StepConfig, type RunStatusValue, type StepTypeValue } from '../models';
import type { StepRows } from '../loaders';
import { tables } from '../loaders/tables';
import type { ServiceContext } from './context';
import {
  eventsCommitted,
  claimableAfterCommit,
  claimableKey,
  eventsWritten,
  insertEvents,
  recordEvents,
  stepEventType,
  type NewEvent,
} from './lifecycleEvents';
import { jsonObject } from './json';
import { rollUp, runStartCtes, startRun, type ChangedStep } from './rollups';
import { afterFailure, canMove, FINAL_SQL, isFinal } from './statusMachine';
import { assertWorkerId, checkIn } from './workers';

/** A step locked for a change: what the rollup needs, plus what the rules check. */
interface LockedStep extends ChangedStep {
  retry: number;
  maxRetries: number;
  workerId: string | null;
  version: number;
  /** The run's status when a claim locked the step (see writeStatus). */
  runStatus?: RunStatusValue;
  /** A claim's row that is no step to take: claimable steps exist, all of them locked. */
  skipped?: boolean;
  /** The type of the step after this one in its run (a report's lock reads it); null for the last. */
  nextType?: StepTypeValue | null;
}

/**
 * The most urgent claimable step, set RUNNING under the worker. SKIP LOCKED: a step another
 * claimer holds is passed over, so two workers never get the same step. Taking over a step whose
 * worker went silent past the lease counts as an attempt (retry + 1): with no retry left the
 * step is FAILED instead (its worker was lost) in a transaction of its own, and the claim looks
 * again.
 */
export interface ClaimOptions {
  /**
   * Asked before the claim is sent and just before it commits: false rolls it back and the
   * claim returns null, having written nothing (a claimedStep subscriber that left while its
   * claim waited for locks). A claim with `wanted` is always in a transaction.
   */
  wanted?(): boolean;
  /**
   * Told when the claim found nothing because every claimable step it would take was locked
   * (SKIP LOCKED passed over them). A lock held by a transaction that then rolls back (a refused
   * report, a claim nobody wanted) writes no event, so nothing else would say the step is still
   * claimable: the caller looks again later.
   */
  onSkipped?(): void;
  /**
   * Return once the claim committed, before its events are sequenced and announced (they are,
   * right after): for a step pushed to its worker at once, which needs the step, not the
   * event's log position. A mutation's answer waits for them (what it wrote is in the log).
   */
  beforeAnnounced?: boolean;
  /**
   * Told the claimed step's run (as the claim left it), the run's document and the step's
   * config, read by the claim's own statement: loaders primed with them answer what a worker
   * reads of its step without another round trip.
   */
  onRows?(rows: StepRows): void;
  /**
   * Told when the claim took a step and, as of its snapshot, nothing else was claimable for it:
   * a claim behind it would find nothing (work that commits later says so with its own event).
   */
  onLast?(): void;
}

/** A folded claim's row: the step it picked (`pick_`), and the step as written when it wrote it. */
type FoldedClaim = Record<string, unknown> & { id: string | null; more: boolean | null };

const PICK = 'pick_';
const PICKED_COLUMNS = [
  'id',
  'project_id',
  'run_id',
  'run_group_id',
  'batch_id',
  'type',
  'status',
  'is_last_step',
  'retry',
  'max_retries',
  'worker_id',
  'version',
  'run_status',
  'skipped',
] as const;

/** The step's columns as its loaders read them (no narrowing), as SQL text for a RETURNING. */
let returnedStepColumns: string | null = null;
function stepColumnsSql(db: Knex): string {
  return (returnedStepColumns ??= tables.step
    .columns(db)
    .map((c) => (typeof c === 'string' ? c : c.toQuery()))
    .join(', '));
}

/**
 * The claim of a claimable step in one statement: pick the step (as the unfolded claim does),
 * check the worker in, set the step RUNNING with its event, and start its run (and group) with
 * theirs, as writeStatus and startRun would. The lock order holds inside the statement: the step
 * (picked, FOR UPDATE), then the worker (the check-in waits for `picked` through its condition),
 * then the run (its update joins the check-in's row), then the group. The run's update also
 * joins the step's event, so the events get their ids in the order the unfolded claim gives
 * them (STEP_START, then ITEM_START). A lost worker's step, or a run neither PENDING nor
 * RUNNING, is picked but not written (for a lost step, the worker is not checked in either):
 * the caller claims it again, in a transaction. `more`: whether another step was claimable as
 * of the statement's snapshot. Sent on its own, the statement is its own transaction.
 */
function claimStatement(db: Knex, pick: string, more: string): string {
  const picked = PICKED_COLUMNS.map((c) => `p.${c} as ${PICK}${c}`).join(', ');
  return `/* claimNextStep: claim */ with ${pick}, picked as materialized (
       select * from lost union all select * from ready union all select * from skipped limit 1
     ), checkin as (
       insert into worker (id, project_id) select :workerId, :workerProject
       where not exists (select 1 from picked where status = 'RUNNING')
       on conflict (project_id, id) do update set last_checkin_at = current_timestamp
       returning id
     ), claimed as (
       update step set status = 'RUNNING', status_message = null, status_meta = '{}'::jsonb, status_at = now(),
         started_at = coalesce(step.started_at, now()), completed_at = null, worker_id = :workerId,
         version = step.version + 1
       from picked p
       where step.id = p.id and not p.skipped and p.status <> 'RUNNING' and p.run_status in ('PENDING', 'RUNNING')
       returning ${stepColumnsSql(db)}
     ), step_event as (
       insert into lifecycle_event (project_id, type, batch_id, run_group_id, run_id, step_id, step_type, status,
         previous_status, handler_name)
       select p.project_id, 'STEP_START', p.batch_id, p.run_group_id, p.run_id, p.id, p.type, 'RUNNING', p.status, :workerId
       from picked p join claimed c on c.id = p.id
       returning id
     ), ${runStartCtes('claimed c, checkin k, step_event e', 'r.id = c.run_id', 'r.*')}
     select ${picked}, case when c.id is not null then ${more} end as more, c.*, ${RELATED_SQL}
     from picked p left join claimed c on c.id = p.id
     ${RELATED_JOINS}`;
}

const camelPick = (column: string) => `pick${column.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;
const PICKED_KEYS = PICKED_COLUMNS.map((c) => [
  camelPick(c),
  c.replace(/_([a-z])/g, (_, l: string) => l.toUpperCase()),
]);
const PICKED_KEY_SET = new Set([...PICKED_KEYS.map(([from]) => from!), 'more']);

/** The picked step of a folded claim's row. */
function lockedOf(row: FoldedClaim): LockedStep {
  const locked: Record<string, unknown> = {};
  for (const [from, to] of PICKED_KEYS) locked[to!] = row[from!];
  return locked as unknown as LockedStep;
}

/**
 * What the claim's statement reads with the step, each row's columns prefixed (camelCase:
 * `relRunId`, ...): the run from `started` when the claim started it, else as it was, then its
 * document, and the step's config.
 */
const RELATED = [
  { prefix: 'relRun', alias: 'cr', snake: 'rel_run_', columns: Run.columns },
  { prefix: 'relDoc', alias: 'cd', snake: 'rel_doc_', columns: Document.columns },
  { prefix: 'relCfg', alias: 'cc', snake: 'rel_cfg_', columns: StepConfig.columns },
] as const;
const RELATED_SQL = [
  ...RELATED.flatMap(({ alias, snake, columns }) => columns.map((c) => `${alias}.${c} as ${snake}${c}`)),
  // The run's loader reads its duration too (src/loaders/tables.ts).
  `extract(epoch from (cr.completed_at - cr.started_at))::float8 as rel_run_duration`,
].join(', ');
const RELATED_JOINS = `left join lateral (
       select * from started union all select * from run where run.id = c.run_id and not exists (select 1 from started)
     ) cr on true
     left join document cd on cd.id = cr.document_id
     left join step_config cc on cc.id = c.step_config_id`;
const isRelatedKey = (key: string) => key.startsWith('rel') && RELATED.some((r) => key.startsWith(r.prefix));

/** The written step of a folded claim's row (its own columns, without the pick's or its relations'). */
function stepOf(row: FoldedClaim): G.Step {
  const step: Record<string, unknown> = {};
  for (const key in row) if (!PICKED_KEY_SET.has(key) && !isRelatedKey(key)) step[key] = row[key];
  return step as unknown as G.Step;
}

/** The run, document and config a folded claim's row carries. */
function rowsOf(row: FoldedClaim): StepRows | null {
  const [run, document, config] = RELATED.map(({ prefix }) => {
    if (row[`${prefix}Id`] == null) return null;
    const fields: Record<string, unknown> = {};
    for (const key in row)
      if (key.startsWith(prefix))
        fields[key.charAt(prefix.length).toLowerCase() + key.slice(prefix.length + 1)] = row[key];
    return fields;
  });
  if (!run) return null;
  return {
    run: run as unknown as G.Run,
    document: document as unknown as G.Document | null,
    config: config as unknown as G.StepConfig | null,
  };
}

/** Thrown inside the claim's transaction to roll it back when the claim is no longer wanted. */
const NOT_WANTED = new Error('the claim is no longer wanted');

export async function claimNextStep(
  ctx: ServiceContext,
  input: ClaimStepInput,
  options: ClaimOptions = {},
): Promise<G.Step | null> {
  const workerId = assertWorkerId(input.workerId);
  const projectId = input.projectId == null ? null : assertUuid(input.projectId, 'projectId');
  const runGroupId = input.runGroupId == null ? null : assertUuid(input.runGroupId, 'runGroupId');
  if (projectId && !inScope(ctx.scope, projectId)) return null;
  const claimed = (step: G.Step) => {
    if (options.wanted && !options.wanted()) throw NOT_WANTED;
    return { step };
  };
  /** A locked candidate the claim statement did not write: a lost worker's step, or a run to roll up. */
  const writeClaim = async (
    trx: Knex.Transaction,
    candidate: LockedStep,
  ): Promise<{ step: G.Step | null; lost?: true }> => {
    if (candidate.status === 'RUNNING') {
      const retry = candidate.retry + 1;
      const lostMessage = `worker ${candidate.workerId} was lost (silent past the ${ctx.config.workerLeaseSeconds} s lease)`;
      if (retry > candidate.maxRetries) {
        const message = `${lostMessage}; no retry left (attempt ${retry} of ${candidate.maxRetries + 1})`;
        await writeStatus(trx, ctx, candidate, {
          status: 'FAILED',
          retry,
          workerId: candidate.workerId,
          // The lease's verdict, not the claimer's change: the lost worker is told even when
          // it is the claimer (it does not get the step back).
          by: null,
          message,
          meta: { lostWorker: candidate.workerId, leaseSeconds: ctx.config.workerLeaseSeconds },
        });
        return { step: null, lost: true };
      }
      return claimed(
        await writeStatus(trx, ctx, candidate, {
          status: 'RUNNING',
          retry,
          workerId,
          // A worker that takes back its own step holds it still: it is told nothing.
          by: workerId,
          handlerName: workerId,
          message: `taken over from worker ${candidate.workerId} (lease expired; ${lostMessage}); attempt ${retry + 1}`,
          meta: { takenOverFrom: candidate.workerId, leaseSeconds: ctx.config.workerLeaseSeconds },
        }),
      );
    }
    return claimed(
      await writeStatus(trx, ctx, candidate, {
        status: 'RUNNING',
        retry: candidate.retry,
        workerId,
        by: workerId,
        handlerName: workerId,
        message: null,
        meta: {},
      }),
    );
  };
  const conditions: string[] = [];
  const filters: Record<string, Knex.Value> = { leaseSeconds: ctx.config.workerLeaseSeconds };
  if (input.types?.length) {
    conditions.push('and s.type = any(:types::text[])');
    filters.types = [...input.types];
  }
  if (projectId) {
    conditions.push('and s.project_id = :projectId');
    filters.projectId = projectId;
  }
  if (runGroupId) {
    conditions.push('and r.run_group_id = :runGroupId');
    filters.runGroupId = runGroupId;
  }
  if (ctx.scope.projectIds !== null) {
    conditions.push('and s.project_id = any(:scope::uuid[])');
    filters.scope = [...ctx.scope.projectIds];
  }
  const columns = `s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status, s.is_last_step, s.retry,
                   s.max_retries, s.worker_id, s.version, r.status as run_status`;
  const order = 'order by s.priority desc, s.created_at, s.id limit 1 for update of s skip locked';
  const claimable = `from step s
       join run r on r.id = s.run_id
       join run_group g on g.id = r.run_group_id
       left join step previous on previous.run_id = s.run_id and previous.number = s.number - 1
       where s.status in ('PENDING', 'ERROR')
         and (s.number = 1 or previous.status = 'COMPLETED')
         and r.status not in ${FINAL_SQL}
         and g.status not in ${FINAL_SQL}
         ${conditions.join(' ')}`;
  // One statement (one round trip on the path from a work signal to a handler's start): a
  // step whose worker went silent past the lease goes first, it is the oldest work; only
  // when there is none is the claimable part read (the limit stops the union at its first
  // row, so `ready` runs, and locks, only then).
  // Steps run in order, and a COMPLETED step is final: a step whose predecessor completed has
  // every earlier step completed. `ready` walks the partial index of claimable steps in order,
  // checking each candidate's predecessor by its unique key. Only when both are empty,
  // `skipped` looks without locking: a claimable step there was passed over, locked.
  // The worker's project when the caller names it or owns only one: the check-in rides in
  // the same statement (a worker row is a leaf of the lock order, and the lost-worker test
  // reads the statement's snapshot, from before the check-in).
  const knownProject = projectId ?? (ctx.scope.projectIds?.length === 1 ? ctx.scope.projectIds[0]! : null);
  if (knownProject) Object.assign(filters, { workerId, workerProject: knownProject });
  const pick = `lost as (
       select ${columns}, false as skipped from worker w
       join step s on s.project_id = w.project_id and s.worker_id = w.id
       join run r on r.id = s.run_id
       where w.last_checkin_at < now() - make_interval(secs => :leaseSeconds) and s.status = 'RUNNING' ${conditions.join(' ')}
       ${order}
     ), ready as (
       select ${columns}, false as skipped ${claimable}
       ${order}
     ), skipped as (
       select ${columns}, true as skipped ${claimable} limit 1
     )`;
  // Whether a step besides the one picked is claimable (no lock taken): a claim behind this
  // one would find it.
  const more = `exists (select 1 ${claimable} and s.id <> p.id)
    or exists (select 1 from worker w join step s on s.project_id = w.project_id and s.worker_id = w.id
               join run r on r.id = s.run_id
               where w.last_checkin_at < now() - make_interval(secs => :leaseSeconds) and s.status = 'RUNNING'
                 and s.id <> p.id ${conditions.join(' ')})`;

  if (knownProject) {
    // The common claim, a claimable step, is written by one statement (see claimStatement).
    // Asked for by a caller who may leave meanwhile (a claimedStep subscriber, `wanted`), it
    // runs in a transaction so that a claim that waited for a lock while its caller left rolls
    // back: committed, it would need a hand-back that can fail too and strand the step RUNNING
    // under a worker that never got it. Otherwise it is sent on its own: it is its own
    // transaction, without the BEGIN and COMMIT round trips.
    if (options.wanted && !options.wanted()) return null;
    const send = (db: Knex) => rawRows<FoldedClaim>(db, claimStatement(db, pick, more), filters);
    let folded: FoldedClaim | undefined;
    if (options.wanted) {
      const outcome = await transaction(
        ctx.db,
        async (trx) => {
          const [row] = await send(trx);
          if (row && row.id !== null) {
            if (!options.wanted!()) throw NOT_WANTED;
            eventsWritten(trx, ctx);
          }
          return row;
        },
        { detachHooks: options.beforeAnnounced },
      ).catch((e: unknown) => {
        if (e === NOT_WANTED) return NOT_WANTED;
        throw e;
      });
      if (outcome === NOT_WANTED) return null;
      folded = outcome as FoldedClaim | undefined;
    } else {
      [folded] = await singleStatement(() => send(ctx.db));
      if (folded && folded.id !== null) await eventsCommitted(ctx, { wait: !options.beforeAnnounced });
    }
    const candidate = folded ? lockedOf(folded) : undefined;
    if (candidate?.skipped) options.onSkipped?.();
    if (!candidate || candidate.skipped) return null;
    if (folded!.id !== null) {
      if (folded!.more === false) options.onLast?.();
      const rows = options.onRows && rowsOf(folded!);
      if (rows) options.onRows!(rows);
      return stepOf(folded!);
    }
    // A lost worker's step (or a run to roll up) comes back picked, not written, and its lock
    // went with the statement: the claim below, in a transaction, picks and writes it. For a
    // lost step the statement did not check the worker in either: a worker taking back its own
    // step must still look lost to the claim below.
  }
  // Every lost step failed here is committed on its own; a bound keeps one call finite.
  for (let failedLost = 0; ; failedLost++) {
    const claim = transaction(
      ctx.db,
      async (trx): Promise<{ step: G.Step | null; lost?: true }> => {
        const [row] = await rawRows<LockedStep>(
          trx,
          `/* claimNextStep: lost or claimable step */ with ${pick}
         select * from lost union all select * from ready union all select * from skipped limit 1`,
          filters,
        );
        // The worker of the claimed step's project checks in now (workers belong to one
        // project); an admin key for every project naming none, with nothing to claim, has no
        // worker to check in.
        const candidate = row?.skipped ? undefined : row;
        if (candidate) await checkIn(trx, candidate.projectId, workerId);
        if (row?.skipped) options.onSkipped?.();
        if (!candidate) return { step: null };
        return writeClaim(trx, candidate);
      },
      { detachHooks: options.beforeAnnounced },
    );
    const outcome = await claim.catch((e: unknown): { step: null; lost?: true } => {
      if (e === NOT_WANTED) return { step: null };
      throw e;
    });
    if (!outcome.lost || failedLost >= 100) return outcome.step;
  }
}

interface StatusWrite {
  status: RunStatusValue;
  retry: number;
  workerId: string | null;
  /**
   * The worker whose own change this is (the claimer, or the holder reporting); null for an
   * operator's change or the server's own verdict. A RUNNING step changed by anyone but its
   * worker is revoked from that worker (the event's revokedWorkerId, which stepsRevoked reads).
   */
  by: string | null;
  /** Who the event names; the worker by default. */
  handlerName?: string | null;
  message: string | null;
  meta: Record<string, unknown>;
}

/**
 * One step's new status with its event, then its siblings (when cancelled) and rollups. Returns
 * the step as written (nothing after the update changes its row): no statement to read it back.
 */
async function writeStatus(
  trx: Knex.Transaction,
  ctx: ServiceContext,
  step: LockedStep,
  change: StatusWrite,
): Promise<G.Step> {
  const { status } = change;
  const final = isFinal(status);
  const ids = { projectId: step.projectId, batchId: step.batchId, runGroupId: step.runGroupId, runId: step.runId };
  const revokedFrom = (holder: string | null) => (holder !== null && holder !== change.by ? holder : null);
  const stepEvent: NewEvent = {
    ...ids,
    stepId: step.id,
    stepType: step.type,
    type: stepEventType(status),
    status,
    previousStatus: step.status,
    handlerName: change.handlerName === undefined ? change.workerId : change.handlerName,
    revokedWorkerId: step.status === 'RUNNING' ? revokedFrom(step.workerId) : null,
    statusMessage: change.message,
    statusMeta: change.meta,
  };
  // What this change made claimable (the next step, or this one again), told to waiting claims
  // of this process at once, before the event's own announcement.
  const claimableType =
    status === 'ERROR' ? step.type : status === 'COMPLETED' && !step.isLastStep ? (step.nextType ?? null) : null;
  if (claimableType && step.runGroupId) {
    claimableAfterCommit(trx, ctx, {
      key: claimableKey(stepEvent)!,
      projectId: step.projectId,
      runGroupId: step.runGroupId,
      types: [claimableType],
    });
  }
  // The step's event travels in its update's statement (the step is locked already).
  const [written] = (await trx('step')
    .with('step_event', insertEvents(trx, [stepEvent]))
    .where({ id: step.id })
    .update({
      status,
      statusMessage: change.message,
      statusMeta: JSON.stringify(change.meta),
      statusAt: trx.fn.now(),
      startedAt: status === 'RUNNING' ? trx.raw('coalesce(started_at, now())') : trx.raw('started_at'),
      completedAt: final ? trx.fn.now() : null,
      retry: change.retry,
      workerId: change.workerId,
      version: trx.raw('version + 1'),
    })
    .returning(tables.step.columns(trx) as never)) as G.Step[];
  eventsWritten(trx, ctx);
  if (status === 'CANCELLED') {
    // The run cannot go on without this step: its other open steps are cancelled with it (the
    // caller locked them all, in step-number order).
    const cancelled = await rawRows<{
      id: string;
      type: StepTypeValue;
      previousStatus: RunStatusValue;
      holder: string | null;
    }>(
      trx,
      `/* cancel step: siblings */ update step s
       set status = 'CANCELLED', status_at = now(), completed_at = now(), version = s.version + 1
       from step before
       where s.run_id = :runId and s.id <> :stepId and before.id = s.id and s.status not in ${FINAL_SQL}
       returning s.id, s.type, before.status as previous_status,
         case when before.status = 'RUNNING' then before.worker_id end as holder`,
      { runId: step.runId, stepId: step.id },
    );
    await recordEvents(
      trx,
      cancelled.map((c) => ({
        ...ids,
        stepId: c.id,
        stepType: c.type,
        type: 'STEP_END' as const,
        status: 'CANCELLED' as const,
        previousStatus: c.previousStatus,
        // A running step's event names its worker (who stepsRevoked tells), as a cancel of the step itself does.
        handlerName: c.holder,
        revokedWorkerId: revokedFrom(c.holder),
      })),
      ctx,
    );
  }
  // A claim knows what its rollup gives (see startRun): it needs no rule read.
  if (status === 'RUNNING' && step.runStatus) await startRun(trx, { ...step, status, runStatus: step.runStatus }, ctx);
  else if (!keepsRunRunning(step, status)) await rollUp(trx, { ...step, status }, ctx);
  return written!;
}

/**
 * A report that leaves its run RUNNING, so nothing above the step changes: a RUNNING step of a
 * run that goes on (ERROR with a retry left, or COMPLETED before the last step). Its run is
 * RUNNING (its claim made it so, and only a change of one of its steps moves it, which must
 * lock this step first: a cancel, or this step's own FAILED), and rule(steps) stays RUNNING:
 * with this step ERROR, or COMPLETED before PENDING steps, the steps are neither all PENDING
 * nor all COMPLETED, and none is FAILED or CANCELLED.
 */
function keepsRunRunning(step: LockedStep, status: RunStatusValue): boolean {
  return step.status === 'RUNNING' && (status === 'ERROR' || (status === 'COMPLETED' && !step.isLastStep));
}

/**
 * A legal status change, its event and its rollups, in one transaction. A step becomes RUNNING
 * only by claimNextStep. A report on a RUNNING step (COMPLETED, ERROR, FAILED) must prove it
 * comes from the worker holding it: `workerId` naming that worker, or `expectedVersion` equal to
 * the version its claim returned (a takeover moves the version, so a lost worker's report fails
 * either way). CANCELLED may come from anyone (an operator), but when it names a worker, that
 * worker must hold the step.
 */
export interface UpdateOptions {
  /**
   * An ERROR that is no attempt: the step was claimed but its worker never ran it (see
   * releaseStep). Its retry stays, so a step with no retry left is claimable again instead of
   * FAILED without having run. Only its holder, naming itself, may say so.
   */
  notAnAttempt?: boolean;
}

export async function updateStepStatus(
  ctx: ServiceContext,
  input: UpdateStepStatusInput,
  options: UpdateOptions = {},
): Promise<G.Step> {
  const stepId = assertUuid(input.stepId, 'stepId');
  const workerId = input.workerId == null ? null : assertWorkerId(input.workerId);
  const meta = JSON.parse(jsonObject(input.meta, 'meta')) as Record<string, unknown>;
  if (options.notAnAttempt && (input.status !== 'ERROR' || workerId === null)) {
    throw new Error('updateStepStatus: notAnAttempt is an ERROR reported by the worker holding the step');
  }
  return transaction(ctx.db, async (trx) => {
    const scoped = ctx.scope.projectIds === null ? '' : 'and s.project_id = any(:scope::uuid[])';
    const bindings: Record<string, Knex.Value> = { stepId };
    if (ctx.scope.projectIds !== null) bindings.scope = [...ctx.scope.projectIds];
    if (input.status === 'CANCELLED') {
      // Lock order: every step of the run, in number order, before cancelling any of them.
      await trx.raw(
        `/* updateStepStatus: lock run's steps */ select 1 from step
         where run_id = (select s.run_id from step s where s.id = :stepId ${scoped}) order by number for update`,
        bindings,
      );
    }
    // The reporting worker checks in in the same statement, after the step's lock (the check-in
    // reads the locked row: lock order, step then worker). A report refused below rolls it back.
    const checkin = workerId
      ? `, checkin as (
           insert into worker (id, project_id) select :workerId, project_id from locked
           on conflict (project_id, id) do update set last_checkin_at = current_timestamp
         )`
      : '';
    if (workerId) bindings.workerId = workerId;
    const [step] = await rawRows<LockedStep>(
      trx,
      `/* updateStepStatus: lock step */ with locked as (
         select s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status,
                s.is_last_step, s.retry, s.max_retries, s.worker_id, s.version,
                (select n.type from step n where n.run_id = s.run_id and n.number = s.number + 1) as next_type
         from step s join run r on r.id = s.run_id
         where s.id = :stepId ${scoped}
         for update of s
       )${checkin}
       select * from locked`,
      bindings,
    );
    if (!step) throw notFound('Step', stepId);
    if (input.expectedVersion != null && input.expectedVersion !== step.version) {
      throw conflict(
        `Step ${stepId} is at version ${step.version}, not ${input.expectedVersion}: reload it and retry`,
        {
          currentVersion: step.version,
          expectedVersion: input.expectedVersion,
        },
      );
    }
    if (!canMove(step.status, input.status)) {
      throw conflict(`Step ${stepId} is ${step.status}; it cannot move to ${input.status}`, {
        currentStatus: step.status,
        requestedStatus: input.status,
      });
    }
    if (input.status === 'RUNNING') {
      throw conflict(`Step ${stepId} is ${step.status}; a step becomes RUNNING only by being claimed (claimNextStep)`, {
        currentStatus: step.status,
        requestedStatus: input.status,
      });
    }
    if (step.status === 'RUNNING') {
      if (workerId === null && input.expectedVersion == null && input.status !== 'CANCELLED') {
        throw badUserInput(
          `Step ${stepId} is RUNNING under worker ${step.workerId}: a report on a RUNNING step must give the reporting worker's workerId (or the expectedVersion its claim returned)`,
          'workerId',
        );
      }
      if (workerId !== null && step.workerId !== workerId) {
        throw conflict(`Step ${stepId} is held by worker ${step.workerId}, not ${workerId}`, { heldBy: step.workerId });
      }
    }

    let status: RunStatusValue = input.status;
    let retry = step.retry;
    if ((status === 'ERROR' && !options.notAnAttempt) || status === 'FAILED') {
      const failure = afterFailure(step.retry, step.maxRetries);
      retry = failure.retry;
      if (status === 'ERROR') status = failure.status;
    }
    return writeStatus(trx, ctx, step, {
      status,
      retry,
      workerId: workerId ?? step.workerId,
      // A report on a RUNNING step proved above that it is its holder's; a CANCELLED that names
      // no worker is an operator's.
      by: workerId ?? (input.status === 'CANCELLED' ? null : step.workerId),
      message: input.message ?? null,
      meta,
    });
  });
}

/**
 * releaseStep: a RUNNING step its worker never ran goes back to claimable, as no attempt (ERROR,
 * retry unchanged). The rules are updateStepStatus's: only from RUNNING, only by its holder,
 * only at the version the holder saw; anything else is a CONFLICT.
 */
export function releaseStep(ctx: ServiceContext, input: ReleaseStepInput): Promise<G.Step> {
  return updateStepStatus(
    ctx,
    {
      stepId: input.stepId,
      status: 'ERROR',
      workerId: input.workerId,
      expectedVersion: input.expectedVersion,
      message: input.message ?? `released by worker ${input.workerId} without running it (not an attempt)`,
    },
    { notAnAttempt: true },
  );
}
