import type { Knex } from 'knex';
import type { ClaimStepInput, UpdateStepStatusInput } from '../__generated__/resolvers-types';
import { inScope } from '../auth/scope';
import { rawRows } from '../db/raw';
import { transaction } from '../db/transaction';
import { conflict, notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import type { ServiceContext } from './context';
import { recordEvents, stepEventType } from './events';
import { jsonObject } from './json';
import { rollUp, type ChangedStep } from './rollups';
import { afterFailure, canMove } from './statusMachine';
import { assertWorkerId, checkIn } from './workers';

/** A step locked for a change: what the rollup needs, plus what the rules check. */
interface LockedStep extends ChangedStep {
  retry: number;
  maxRetries: number;
  workerId: string | null;
  version: number;
}

function loadStep(trx: Knex.Transaction, id: string): Promise<G.Step> {
  return trx('step').select(tables.step.columns(trx)).where('step.id', id).first();
}

/**
 * The most urgent claimable step, set RUNNING under the worker. SKIP LOCKED: a step another
 * claimer holds is passed over, so two workers never get the same step.
 */
export async function claimNextStep(ctx: ServiceContext, input: ClaimStepInput): Promise<G.Step | null> {
  const workerId = assertWorkerId(input.workerId);
  const projectId = input.projectId == null ? null : assertUuid(input.projectId, 'projectId');
  const runGroupId = input.runGroupId == null ? null : assertUuid(input.runGroupId, 'runGroupId');
  if (projectId && !inScope(ctx.scope, projectId)) return null;
  return transaction(ctx.db, async (trx) => {
    const conditions: string[] = [];
    const filters: unknown[] = [];
    if (input.types?.length) {
      conditions.push('and s.type = any(?::text[])');
      filters.push(input.types);
    }
    if (projectId) {
      conditions.push('and s.project_id = ?');
      filters.push(projectId);
    }
    if (runGroupId) {
      conditions.push('and r.run_group_id = ?');
      filters.push(runGroupId);
    }
    if (ctx.scope.projectIds !== null) {
      conditions.push('and s.project_id = any(?::uuid[])');
      filters.push(ctx.scope.projectIds);
    }
    const columns = `s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status, s.is_last_step, s.retry,
                     s.max_retries, s.worker_id, s.version`;
    const order = 'order by s.priority desc, s.created_at, s.id limit 1 for update of s skip locked';
    // A step whose worker went silent past the lease goes first: it is the oldest work.
    let [candidate] = await rawRows<LockedStep>(
      trx,
      `select ${columns} from worker w
       join step s on s.worker_id = w.id
       join run r on r.id = s.run_id
       where w.last_checkin_at < now() - make_interval(secs => ?) and s.status = 'RUNNING' ${conditions.join(' ')}
       ${order}`,
      [ctx.config.workerLeaseSeconds, ...filters],
    );
    if (!candidate) {
      // Steps run in order, and a COMPLETED step is final: a step whose predecessor completed
      // has every earlier step completed. Walks the partial index of claimable steps in order,
      // checking each candidate's predecessor by its unique key.
      [candidate] = await rawRows<LockedStep>(
        trx,
        `select ${columns} from step s
         join run r on r.id = s.run_id
         join run_group g on g.id = r.run_group_id
         left join step previous on previous.run_id = s.run_id and previous.number = s.number - 1
         where s.status in ('PENDING', 'ERROR')
           and (s.number = 1 or previous.status = 'COMPLETED')
           and r.status not in ('COMPLETED', 'FAILED', 'CANCELLED')
           and g.status not in ('COMPLETED', 'FAILED', 'CANCELLED')
           ${conditions.join(' ')}
         ${order}`,
        filters,
      );
    }
    // Checking in only now keeps the step lock this transaction's first write: its transaction
    // id is then newer than that of every earlier change to the step, so event readers, which
    // go in transaction id order, see the step's changes in commit order.
    await checkIn(trx, workerId);
    if (!candidate) return null;

    const takeover = candidate.status === 'RUNNING';
    await trx('step')
      .where({ id: candidate.id })
      .update({
        status: 'RUNNING',
        workerId,
        startedAt: trx.raw('coalesce(started_at, now())'),
        statusAt: trx.fn.now(),
        statusMessage: takeover ? `taken over from worker ${candidate.workerId} (lease expired)` : null,
        version: trx.raw('version + 1'),
      });
    await recordEvents(
      trx,
      [
        {
          projectId: candidate.projectId,
          batchId: candidate.batchId,
          runGroupId: candidate.runGroupId,
          runId: candidate.runId,
          stepId: candidate.id,
          stepType: candidate.type,
          type: 'STEP_START',
          status: 'RUNNING',
          previousStatus: candidate.status,
          handlerName: workerId,
          statusMessage: takeover ? `taken over from worker ${candidate.workerId} (lease expired)` : null,
          statusMeta: takeover
            ? { takenOverFrom: candidate.workerId, leaseSeconds: ctx.config.workerLeaseSeconds }
            : {},
        },
      ],
      ctx,
    );
    await rollUp(trx, { ...candidate, status: 'RUNNING' }, ctx);
    return loadStep(trx, candidate.id);
  });
}

/** A legal status change, its event and its rollups, in one transaction. */
export async function updateStepStatus(ctx: ServiceContext, input: UpdateStepStatusInput): Promise<G.Step> {
  const stepId = assertUuid(input.stepId, 'stepId');
  const workerId = input.workerId == null ? null : assertWorkerId(input.workerId);
  const meta = jsonObject(input.meta, 'meta');
  return transaction(ctx.db, async (trx) => {
    const [step] = await rawRows<LockedStep>(
      trx,
      `select s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status, s.is_last_step, s.retry,
              s.max_retries, s.worker_id, s.version
       from step s join run r on r.id = s.run_id
       where s.id = ? ${ctx.scope.projectIds === null ? '' : 'and s.project_id = any(?::uuid[])'}
       for update of s`,
      ctx.scope.projectIds === null ? [stepId] : [stepId, ctx.scope.projectIds],
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
    if (workerId && step.status === 'RUNNING' && step.workerId && step.workerId !== workerId) {
      throw conflict(`Step ${stepId} is held by worker ${step.workerId}, not ${workerId}`, { heldBy: step.workerId });
    }
    if (workerId) await checkIn(trx, workerId);

    let status = input.status;
    let retry = step.retry;
    if (status === 'ERROR' || status === 'FAILED') {
      const failure = afterFailure(step.retry, step.maxRetries);
      retry = failure.retry;
      if (status === 'ERROR') status = failure.status;
    }
    const final = status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
    await trx('step')
      .where({ id: stepId })
      .update({
        status,
        statusMessage: input.message ?? null,
        statusMeta: meta,
        statusAt: trx.fn.now(),
        startedAt: status === 'RUNNING' ? trx.raw('coalesce(started_at, now())') : trx.raw('started_at'),
        completedAt: final ? trx.fn.now() : null,
        retry,
        workerId: workerId ?? step.workerId,
        version: trx.raw('version + 1'),
      });
    await recordEvents(
      trx,
      [
        {
          projectId: step.projectId,
          batchId: step.batchId,
          runGroupId: step.runGroupId,
          runId: step.runId,
          stepId,
          stepType: step.type,
          type: stepEventType(status),
          status,
          previousStatus: step.status,
          handlerName: workerId ?? step.workerId,
          statusMessage: input.message ?? null,
          statusMeta: JSON.parse(meta) as Record<string, unknown>,
        },
      ],
      ctx,
    );
    await rollUp(trx, { ...step, status }, ctx);
    return loadStep(trx, stepId);
  });
}
