import type { Knex } from 'knex';
import { rawRows } from '../db/raw';
import type { RunStatusValue, StepTypeValue } from '../models';
import { eventsWritten, type EventsSink } from './lifecycleEvents';
import { FINAL_SQL, OPEN_SQL, STARTED_SQL } from './statusMachine';

export interface ChangedStep {
  id: string;
  projectId: string;
  runId: string;
  runGroupId: string;
  batchId: string | null;
  type: StepTypeValue;
  isLastStep: boolean;
  status: RunStatusValue;
}

/**
 * rule(steps), the status of a run, as a total function of its steps' statuses:
 * any FAILED -> FAILED; else any CANCELLED -> CANCELLED; else all COMPLETED -> COMPLETED;
 * else all PENDING -> PENDING; else RUNNING. (A run without steps keeps its status.)
 * Reads `step` directly, so it must run after the runs are locked (settleRuns).
 */
const RUN_RULE = `
  select run_id as id, case
    when bool_or(status = 'FAILED') then 'FAILED'
    when bool_or(status = 'CANCELLED') then 'CANCELLED'
    when bool_and(status = 'COMPLETED') then 'COMPLETED'
    when bool_and(status = 'PENDING') then 'PENDING'
    else 'RUNNING' end as status
  from step where run_id = any(:runIds::uuid[]) group by run_id`;

/**
 * rule(runs), the status of a run group, as a total function of its runs' statuses:
 * while some run is not final: RUNNING once any run left PENDING, else PENDING; when every run
 * is final: any FAILED -> FAILED; else any CANCELLED (or no run left at all) -> CANCELLED;
 * else COMPLETED. Each part is an index probe on run (run_group_id, status), so settling a
 * group costs the same for 1 run as for 50,000.
 */
const GROUP_RULE = `
  select g.id, case
    when not exists (select 1 from run where run_group_id = g.id) then 'CANCELLED'
    when exists (select 1 from run where run_group_id = g.id and status in ${OPEN_SQL}) then
      case when exists (select 1 from run where run_group_id = g.id and status in ${STARTED_SQL}) then 'RUNNING' else 'PENDING' end
    when exists (select 1 from run where run_group_id = g.id and status = 'FAILED') then 'FAILED'
    when exists (select 1 from run where run_group_id = g.id and status = 'CANCELLED') then 'CANCELLED'
    else 'COMPLETED' end as status
  from run_group g where g.id = any(:runGroupIds::uuid[])`;

/** The event of a run's new status (`status`, in SQL). */
const RUN_EVENT_TYPE = `case when status = 'FAILED' then 'ITEM_FAILED'
  when status in ('PENDING', 'RUNNING') then 'ITEM_START' else 'ITEM_END' end`;

interface Settled {
  id: string;
  projectId: string;
  batchId: string | null;
  runGroupId: string;
  status: RunStatusValue;
  previousStatus: RunStatusValue;
}

/**
 * Recomputes the runs' statuses from their steps (RUN_RULE) and records ITEM_* events for the
 * ones that changed. Locks the runs first (lock order: after their steps), then computes in a
 * new statement, whose snapshot sees every step change committed before the lock was granted.
 * Returns the groups whose runs changed.
 */
async function settleRuns(trx: Knex.Transaction, runIds: readonly string[], sink: EventsSink): Promise<string[]> {
  if (runIds.length === 0) return [];
  await trx.raw(
    `/* settleRuns: lock runs */ select 1 from run where id = any(:runIds::uuid[]) order by id for no key update`,
    {
      runIds: [...runIds],
    },
  );
  // The ITEM_* events are inserted by the same statement (the runs are locked already).
  const changed = await rawRows<Settled>(
    trx,
    `/* settleRuns: roll up */ with x as (${RUN_RULE}), changed as (
       update run r set status = x.status, status_at = now(), version = r.version + 1,
         started_at = case when x.status <> 'PENDING' then coalesce(r.started_at, now()) else r.started_at end,
         completed_at = case when x.status in ${FINAL_SQL} then now() else null end
       from run before, x
       where r.id = x.id and before.id = r.id and x.status <> r.status
       returning r.id, r.project_id, r.batch_id, r.run_group_id, r.status, before.status as previous_status
     ), event as (
       insert into lifecycle_event (project_id, batch_id, run_group_id, run_id, type, status, previous_status)
       select project_id, batch_id, run_group_id, id, ${RUN_EVENT_TYPE}, status, previous_status from changed
     )
     select * from changed`,
    { runIds: [...runIds] },
  );
  if (changed.length > 0) eventsWritten(trx, sink);
  return [...new Set(changed.map((r) => r.runGroupId))];
}

/**
 * Recomputes the groups' statuses from their runs (GROUP_RULE), recording GROUP_END when a group
 * becomes final. The group row is locked first (FOR NO KEY UPDATE: event inserts hold KEY SHARE
 * on it), so two runs finishing at once cannot both miss that they were the last one.
 */
export async function settleGroups(
  trx: Knex.Transaction,
  runGroupIds: readonly string[],
  sink: EventsSink,
  message: string | null = null,
): Promise<void> {
  if (runGroupIds.length === 0) return;
  await trx.raw(
    `/* settleGroups: lock groups */ select 1 from run_group where id = any(:runGroupIds::uuid[]) order by id for no key update`,
    { runGroupIds: [...runGroupIds] },
  );
  // GROUP_END is inserted by the same statement (the group is locked already).
  const changed = await rawRows<{ id: string }>(
    trx,
    `/* settleGroups: roll up */ with x as (${GROUP_RULE}), changed as (
       update run_group g set status = x.status, status_at = now(), version = g.version + 1,
         started_at = case when x.status <> 'PENDING' then coalesce(g.started_at, now()) else g.started_at end,
         completed_at = case when x.status in ${FINAL_SQL} then now() else null end
       from run_group before, x
       where g.id = x.id and before.id = g.id and x.status <> g.status
         and before.status not in ${FINAL_SQL}
       returning g.id, g.project_id, g.batch_id, g.status, before.status as previous_status
     ), event as (
       insert into lifecycle_event (project_id, batch_id, run_group_id, type, status, previous_status, status_message)
       select project_id, batch_id, id, 'GROUP_END', status, previous_status, :message from changed
       where status in ${FINAL_SQL}
       returning 1
     )
     select id from changed where status in ${FINAL_SQL}`,
    { runGroupIds: [...runGroupIds], message },
  );
  if (changed.length > 0) eventsWritten(trx, sink);
}

/** Carries a step change up: its run from its steps, then its group from its runs. */
export async function rollUp(trx: Knex.Transaction, step: ChangedStep, sink: EventsSink): Promise<void> {
  const groups = await settleRuns(trx, [step.runId], sink);
  await settleGroups(trx, groups, sink);
}

/**
 * The CTEs that start a PENDING run and its group with the run's ITEM_START event, for a
 * statement of its own (startRun) or the tail of the one-statement claim: `started` (the run,
 * `from` joined and `where` its condition), `run_event`, `locked_group` (the group's lock reads
 * the run update's output, so the run is locked first) and `group_started`. `returning`: what
 * `started` returns of the run (at least its id, project, batch and group).
 */
export function runStartCtes(
  from: string,
  where: string,
  returning = 'r.id, r.project_id, r.batch_id, r.run_group_id',
): string {
  return `started as (
       update run r set status = 'RUNNING', status_at = now(), version = r.version + 1,
         started_at = coalesce(r.started_at, now()), completed_at = null
       ${from ? `from ${from}` : ''}
       where ${where} and r.status = 'PENDING'
       returning ${returning}
     ), run_event as (
       -- PENDING before: the update's condition, checked on the row it changed (a self-join
       -- would read the statement's snapshot, older when the update waited for the row).
       insert into lifecycle_event (project_id, type, batch_id, run_group_id, run_id, status, previous_status)
       select project_id, 'ITEM_START', batch_id, run_group_id, id, 'RUNNING', 'PENDING' from started
     ), locked_group as (
       select id, status from run_group where id in (select run_group_id from started) for no key update
     ), group_started as (
       update run_group g set status = 'RUNNING', status_at = now(), version = g.version + 1,
         started_at = coalesce(g.started_at, now()), completed_at = null
       from locked_group where g.id = locked_group.id and locked_group.status = 'PENDING'
     )`;
}

/**
 * The rollup of a claim: a step of an open run became RUNNING. rule(steps) of an open run with a
 * RUNNING step is RUNNING (an open run has no FAILED or CANCELLED step), and rule(runs) of an
 * open group with a RUNNING run is RUNNING, so nothing needs reading: a PENDING run, then its
 * group, are set RUNNING by one statement (lock order: run, then group). A claim in a run
 * already RUNNING (any step but its first, a retry, a takeover) costs none: a run never goes
 * back to PENDING (no step does), nothing else in it changes meanwhile (its other steps are
 * final or wait behind this one, and a cancel or delete must lock this step too), and its group
 * is RUNNING since it started. The group is locked whatever its status, as settleGroups does: a
 * group goes back to PENDING when its only started runs are deleted (deleteDocumentUri), and a
 * delete that recomputed it before this commit, while this run still looked PENDING, would
 * leave it PENDING under a RUNNING run; holding the row, the delete waits and sees this run.
 */
export async function startRun(
  trx: Knex.Transaction,
  step: ChangedStep & { runStatus: RunStatusValue },
  sink: EventsSink,
): Promise<void> {
  if (step.runStatus === 'RUNNING') return;
  // One statement: the group's lock reads the run update's output, so the run is locked first.
  const started = await rawRows<{ runId: string }>(
    trx,
    `/* startRun */ with ${runStartCtes('', 'r.id = :runId')}
     select id as run_id from started`,
    { runId: step.runId },
  );
  // Not PENDING after all (no path leads here): the rule decides.
  if (started.length === 0) return rollUp(trx, step, sink);
  eventsWritten(trx, sink);
}
