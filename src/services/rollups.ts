import type { Knex } from 'knex';
import { rawRows } from '../db/raw';
import type { RunStatusValue, StepTypeValue } from '../models';
import { recordEvents, type EventsSink, type NewEvent } from './events';

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
 * Carries a step's new status up to its run and run group, with their lifecycle events, inside
 * the step's transaction: first step running -> run RUNNING + ITEM_START; last step completed ->
 * run COMPLETED + ITEM_END; a failed step -> run FAILED + ITEM_FAILED; a cancelled step ->
 * the run and its other steps CANCELLED; every run final -> group COMPLETED or FAILED + GROUP_END.
 */
export async function rollUp(trx: Knex.Transaction, step: ChangedStep, sink: EventsSink): Promise<void> {
  const ids = { projectId: step.projectId, batchId: step.batchId, runGroupId: step.runGroupId, runId: step.runId };
  const events: NewEvent[] = [];

  if (step.status === 'RUNNING') {
    const started = await trx('run')
      .where({ id: step.runId, status: 'PENDING' })
      .update({
        status: 'RUNNING',
        startedAt: trx.raw('coalesce(started_at, now())'),
        statusAt: trx.fn.now(),
        version: trx.raw('version + 1'),
      })
      .returning('id');
    if (started.length) events.push({ ...ids, type: 'ITEM_START', status: 'RUNNING', previousStatus: 'PENDING' });
    await trx('run_group')
      .where({ id: step.runGroupId, status: 'PENDING' })
      .update({
        status: 'RUNNING',
        startedAt: trx.raw('coalesce(started_at, now())'),
        statusAt: trx.fn.now(),
        version: trx.raw('version + 1'),
      });
    await recordEvents(trx, events, sink);
    return;
  }

  let runStatus: RunStatusValue | null = null;
  if (step.status === 'COMPLETED' && step.isLastStep) runStatus = 'COMPLETED';
  if (step.status === 'FAILED') runStatus = 'FAILED';
  if (step.status === 'CANCELLED') runStatus = 'CANCELLED';
  if (!runStatus) return;

  if (runStatus === 'CANCELLED') {
    // The run cannot go on without this step: its other open steps are cancelled with it.
    const cancelled = await rawRows<{ id: string; type: StepTypeValue; previousStatus: RunStatusValue }>(
      trx,
      `update step s set status = 'CANCELLED', status_at = now(), completed_at = now(), version = s.version + 1
       from step before
       where s.run_id = ? and s.id <> ? and before.id = s.id and s.status not in ('COMPLETED', 'FAILED', 'CANCELLED')
       returning s.id, s.type, before.status as previous_status`,
      [step.runId, step.id],
    );
    for (const c of cancelled) {
      events.push({
        ...ids,
        stepId: c.id,
        stepType: c.type,
        type: 'STEP_END',
        status: 'CANCELLED',
        previousStatus: c.previousStatus,
      });
    }
  }
  const [run] = await rawRows<{ previousStatus: RunStatusValue }>(
    trx,
    `update run r set status = ?, status_at = now(), completed_at = now(), version = r.version + 1
     from run before where r.id = ? and before.id = r.id and r.status not in ('COMPLETED', 'FAILED', 'CANCELLED')
     returning before.status as previous_status`,
    [runStatus, step.runId],
  );
  if (run) {
    events.push({
      ...ids,
      type: runStatus === 'FAILED' ? 'ITEM_FAILED' : 'ITEM_END',
      status: runStatus,
      previousStatus: run.previousStatus,
    });
  }
  await recordEvents(trx, events, sink);
  if (run) await closeGroupIfDone(trx, step.runGroupId, sink);
}

/**
 * Locks the group (NO KEY UPDATE: concurrent event inserts hold KEY SHARE on it) so that two runs finishing at once cannot both miss that they were the last;
 * under READ COMMITTED the count after the lock sees every run committed before it.
 */
async function closeGroupIfDone(trx: Knex.Transaction, runGroupId: string, sink: EventsSink): Promise<void> {
  const group = await trx('run_group')
    .select('id', 'projectId', 'batchId', 'status')
    .where({ id: runGroupId })
    .forNoKeyUpdate()
    .first();
  if (!group || ['COMPLETED', 'FAILED', 'CANCELLED'].includes(group.status)) return;
  const [counts] = await rawRows<{ open: number; failed: number }>(
    trx,
    `select count(*) filter (where status not in ('COMPLETED', 'FAILED', 'CANCELLED'))::int as open,
            count(*) filter (where status = 'FAILED')::int as failed
     from run where run_group_id = ?`,
    [runGroupId],
  );
  if (counts!.open > 0) return;
  const status: RunStatusValue = counts!.failed > 0 ? 'FAILED' : 'COMPLETED';
  await trx('run_group')
    .where({ id: runGroupId })
    .update({ status, statusAt: trx.fn.now(), completedAt: trx.fn.now(), version: trx.raw('version + 1') });
  await recordEvents(
    trx,
    [
      {
        projectId: group.projectId,
        batchId: group.batchId,
        runGroupId,
        type: 'GROUP_END',
        status,
        previousStatus: group.status,
      },
    ],
    sink,
  );
}
