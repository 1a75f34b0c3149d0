import type { Knex } from 'knex';
import type { StartRunGroupInput, StepSpecInput } from '../__generated__/resolvers-types';
import { rawRows } from '../db/raw';
import { transaction } from '../db/transaction';
import { badUserInput, conflict, notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import { Batch, RunGroup, type StepTypeValue } from '../models';
import { stepConfigHash } from './canonical';
import { FINAL_SQL, isFinal } from './statusMachine';
import type { ServiceContext } from './context';
import { claimableAfterCommit, claimableKey, eventsWritten, recordEvents } from './lifecycleEvents';
import { settleGroups } from './rollups';
import { failpoint } from './failpoints';
import { idempotent } from './idempotency';
import { inputLimits } from './inputLimits';
import { jsonObject } from './json';
import { rowInScope } from './rowInScope';
import { scopeTo } from '../auth/scope';
import { RUN_GROUP_DELETED_CHANNEL } from '../events/groupWatch';

const MAX_STEPS = 100;

function loadRunGroup(trx: Knex | Knex.Transaction, id: string): Promise<G.RunGroup> {
  return trx('run_group')
    .select(tables.runGroup.columns(trx as Knex))
    .where('run_group.id', id)
    .first();
}

/**
 * The group after a change that did not lock its row first (cancel locks children first): a
 * delete that committed meanwhile makes it NOT_FOUND, not a null for a non-null field.
 */
async function existingRunGroup(trx: Knex.Transaction, id: string): Promise<G.RunGroup> {
  const group = await loadRunGroup(trx, id);
  if (!group) throw notFound('RunGroup', id);
  return group;
}

interface PreparedStep {
  number: number;
  name: string;
  type: string;
  config: Record<string, unknown>;
  cumulativeConfig: Record<string, unknown>;
  contentHash: string;
  maxRetries: number;
}

function prepareSteps(steps: readonly StepSpecInput[], maxJsonBytes: number): PreparedStep[] {
  if (steps.length === 0) throw badUserInput('steps must name at least one step', 'steps');
  if (steps.length > MAX_STEPS) throw badUserInput(`a run has at most ${MAX_STEPS} steps`, 'steps');
  const names = new Set<string>();
  const cumulative: Record<string, unknown> = {};
  const prepared = steps.map((s, i) => {
    const field = `steps[${i}]`;
    if (names.has(s.name)) throw badUserInput(`${field}.name ${JSON.stringify(s.name)} is used twice`, `${field}.name`);
    names.add(s.name);
    const maxRetries = s.maxRetries ?? 0;
    if (!Number.isInteger(maxRetries) || maxRetries < 0)
      throw badUserInput(`${field}.maxRetries must be >= 0`, `${field}.maxRetries`);
    const config = JSON.parse(jsonObject(s.config, `${field}.config`)) as Record<string, unknown>;
    cumulative[s.name] = config;
    const cumulativeConfig = { ...cumulative };
    return {
      number: i + 1,
      name: s.name,
      type: s.type,
      config,
      cumulativeConfig,
      contentHash: stepConfigHash(s.type, config, cumulativeConfig),
      maxRetries,
    };
  });
  // The last step's cumulativeConfig holds every config: a read weighs it at MAX_JSON_BYTES.
  const merged = Buffer.byteLength(JSON.stringify(cumulative));
  if (merged > maxJsonBytes)
    throw badUserInput(
      `the steps' configs together are ${merged} bytes of JSON; the limit is ${maxJsonBytes} (MAX_JSON_BYTES)`,
      'steps',
    );
  return prepared;
}

/**
 * The group, one run per document, the steps of every run and GROUP_START, in one transaction
 * and a fixed number of statements: runs and steps are inserted from arrays, whatever their count.
 */
export async function startRunGroup(ctx: ServiceContext, input: StartRunGroupInput): Promise<G.RunGroup> {
  if ((input.batchId == null) === (input.documentIds == null)) {
    throw badUserInput('give exactly one of batchId or documentIds', 'batchId');
  }
  const steps = prepareSteps(input.steps, inputLimits(ctx.config).jsonBytes);
  const params = jsonObject(input.params, 'params');
  const priority = input.priority ?? 0;
  const documentIds = input.documentIds?.map((id, i) => assertUuid(id, `documentIds[${i}]`));
  if (documentIds && documentIds.length === 0) throw badUserInput('documentIds must not be empty', 'documentIds');
  if (documentIds && documentIds.length > ctx.config.maxRunsPerGroup) {
    throw badUserInput(
      `a run group has at most ${ctx.config.maxRunsPerGroup} runs, asked for ${documentIds.length}`,
      'documentIds',
    );
  }

  return transaction(
    ctx.db,
    async (trx) => {
      let projectId: string;
      let batchId: string | null = null;
      let docs: string[];
      if (input.batchId != null) {
        const batch = await rowInScope(trx, Batch, input.batchId, ctx.scope, { field: 'batchId' });
        projectId = batch.projectId;
        batchId = batch.id;
        docs = (await trx('document_uri').distinct('documentId').where({ batchId }).orderBy('documentId')).map(
          (r: { documentId: string }) => r.documentId,
        );
        if (docs.length === 0) throw badUserInput('the batch has no documents to run', 'batchId');
        if (docs.length > ctx.config.maxRunsPerGroup) {
          throw badUserInput(
            `a run group has at most ${ctx.config.maxRunsPerGroup} runs; the batch has ${docs.length} documents`,
            'batchId',
          );
        }
      } else {
        const unique = [...new Set(documentIds!)];
        const qb = trx('document').select('id', 'projectId').whereIn('id', unique);
        scopeTo(qb, 'document.projectId', ctx.scope);
        const found = (await qb) as { id: string; projectId: string }[];
        const missing = unique.find((id) => !found.some((f) => f.id === id));
        if (missing) throw notFound('Document', missing);
        const projects = new Set(found.map((f) => f.projectId));
        if (projects.size > 1) throw badUserInput('documentIds must all belong to one project', 'documentIds');
        projectId = found[0]!.projectId;
        docs = unique;
      }

      return idempotent(
        trx,
        { projectId, operation: 'startRunGroup', key: input.idempotencyKey, input },
        async () => {
          const configs = await rawRows<{ id: string; contentHash: string }>(
            trx,
            `/* startRunGroup: step configs */ insert into step_config (step_type, config, cumulative_config, content_hash)
           select x.step_type, x.config, x.cumulative_config, x.content_hash
           from jsonb_to_recordset(:configs::jsonb) as x(step_type text, config jsonb, cumulative_config jsonb, content_hash text)
           on conflict (content_hash) do update set content_hash = excluded.content_hash
           returning id, content_hash`,
            {
              configs: JSON.stringify(
                steps.map((s) => ({
                  step_type: s.type,
                  config: s.config,
                  cumulative_config: s.cumulativeConfig,
                  content_hash: s.contentHash,
                })),
              ),
            },
          );
          const configOf = new Map(configs.map((c) => [c.contentHash, c.id]));

          const [group] = await trx('run_group')
            .insert({
              projectId,
              batchId,
              name: input.name ?? null,
              workflowDefinitionId: input.workflowDefinitionId,
              paramDefinitionId: input.paramDefinitionId ?? null,
              priority,
              params,
            })
            .returning('id');

          failpoint('startRunGroup.beforeSteps');
          // Runs and their steps in one statement: the run ids never travel to Node and back.
          const [created] = await rawRows<{ runs: number }>(
            trx,
            `/* startRunGroup: runs and steps */ with r as (
             insert into run (project_id, run_group_id, batch_id, document_id, workflow_definition_id, priority, params)
             select :projectId, :runGroupId, :batchId, d.id, :workflowDefinitionId, :priority, :params::jsonb
             from unnest(:documentIds::uuid[]) with ordinality as d(id, n) order by d.n
             returning id
           ), s as (
             insert into step (project_id, run_id, number, name, type, step_config_id, is_last_step, priority, max_retries)
             select :projectId, r.id, s.number, s.name, s.type, s.config_id, s.number = :stepCount, :priority, s.max_retries
             from r cross join unnest(:numbers::int[], :names::text[], :types::text[], :configIds::uuid[], :maxRetries::int[])
               as s(number, name, type, config_id, max_retries)
             order by r.id, s.number
           )
           select count(*)::int as runs from r`,
            {
              projectId,
              runGroupId: group.id,
              batchId,
              workflowDefinitionId: input.workflowDefinitionId,
              priority,
              params,
              documentIds: docs,
              stepCount: steps.length,
              numbers: steps.map((s) => s.number),
              names: steps.map((s) => s.name),
              types: steps.map((s) => s.type),
              configIds: steps.map((s) => configOf.get(s.contentHash)!),
              maxRetries: steps.map((s) => s.maxRetries),
            },
          );

          // Every run starts with the first step: waiting claims of its type look at once.
          claimableAfterCommit(trx, ctx, {
            key: claimableKey({ type: 'GROUP_START', status: 'PENDING', runGroupId: group.id })!,
            projectId,
            runGroupId: group.id,
            types: created!.runs > 0 ? [steps[0]!.type as StepTypeValue] : [],
          });
          await recordEvents(
            trx,
            [
              {
                projectId,
                type: 'GROUP_START',
                status: 'PENDING',
                batchId,
                runGroupId: group.id,
                statusMeta: { runs: created!.runs, steps: steps.length },
              },
            ],
            ctx,
          );
          return loadRunGroup(trx, group.id);
        },
        { encode: (g) => ({ id: g.id }), decode: ({ id }: { id: string }) => loadRunGroup(trx, id) },
      );
    },
    { bulk: true },
  );
}

/**
 * Every run and step of the group that is not final becomes CANCELLED, with their events; the
 * group then takes the status its runs give it (CANCELLED, or FAILED when a run had failed).
 * Lock order: the group's steps, then its runs, then the group row (as every step writer).
 */
export async function cancelRunGroup(ctx: ServiceContext, id: string): Promise<G.RunGroup> {
  return transaction(
    ctx.db,
    async (trx) => {
      const group = await rowInScope(trx, RunGroup, id, ctx.scope);
      if (group.status === 'CANCELLED') return existingRunGroup(trx, id);
      if (isFinal(group.status))
        throw conflict(`RunGroup ${id} is ${group.status}; only a group that is not final can be cancelled`, {
          current: group.status,
        });

      // Steps first (their events name their previous status, and a running step's worker, which
      // stepsRevoked tells at once), then runs, then the group. Each statement locks its rows
      // first and takes the previous status from the locked row: a row locked after a wait is
      // its newest version (a claim that committed meanwhile made the step RUNNING), where a
      // self-join of the UPDATE would still read the statement's snapshot (PENDING, no worker).
      // Steps are locked run by run in step-number order, as updateStepStatus locks a run's.
      await trx.raw(
        `/* cancelRunGroup: steps */ with locked as materialized (
           select s.id, s.status as previous_status, case when s.status = 'RUNNING' then s.worker_id end as holder
           from step s join run r on r.id = s.run_id
           where r.run_group_id = :runGroupId and s.status not in ${FINAL_SQL}
           order by s.run_id, s.number
           for update of s
         ), cancelled as (
           update step s set status = 'CANCELLED', status_at = now(), completed_at = now(), version = s.version + 1
           from locked l
           where s.id = l.id
           returning s.id, s.type, s.run_id, l.previous_status, l.holder
         )
         insert into lifecycle_event (project_id, type, batch_id, run_group_id, run_id, step_id, step_type, status, previous_status, handler_name, revoked_worker_id, status_message)
         select :projectId, 'STEP_END', :batchId, :runGroupId, c.run_id, c.id, c.type, 'CANCELLED', c.previous_status, c.holder, c.holder, 'run group cancelled'
         from cancelled c`,
        { runGroupId: id, projectId: group.projectId, batchId: group.batchId },
      );
      // Every open run now has only final steps and at least one CANCELLED one: rule(steps) is
      // CANCELLED for each (runs with a FAILED step were final already).
      await trx.raw(
        `/* cancelRunGroup: runs */ with locked as materialized (
           select id, status as previous_status from run
           where run_group_id = :runGroupId and status not in ${FINAL_SQL}
           order by id
           for no key update
         ), cancelled as (
           update run r set status = 'CANCELLED', status_at = now(), completed_at = now(), version = r.version + 1
           from locked l
           where r.id = l.id
           returning r.id, l.previous_status
         )
         insert into lifecycle_event (project_id, type, batch_id, run_group_id, run_id, status, previous_status, status_message)
         select :projectId, 'ITEM_END', :batchId, :runGroupId, c.id, 'CANCELLED', c.previous_status, 'run group cancelled'
         from cancelled c`,
        { runGroupId: id, projectId: group.projectId, batchId: group.batchId },
      );
      eventsWritten(trx, ctx);
      failpoint('cancelRunGroup.beforeGroup');
      await settleGroups(trx, [id], ctx, 'run group cancelled');
      return existingRunGroup(trx, id);
    },
    { bulk: true },
  );
}

export interface DeleteStats {
  dryRun: boolean;
  deletedRunGroups: number;
  deletedRuns: number;
  deletedSteps: number;
  deletedEvents: number;
  deletedLlmCalls: number;
  deletedFiles: number;
  deletedDocumentUris: number;
  deletedDocuments: number;
  totalDeleted: number;
}

export function deleteStats(
  dryRun: boolean,
  counts: Partial<Omit<DeleteStats, 'dryRun' | 'totalDeleted'>>,
): DeleteStats {
  const stats = {
    deletedRunGroups: 0,
    deletedRuns: 0,
    deletedSteps: 0,
    deletedEvents: 0,
    deletedLlmCalls: 0,
    deletedFiles: 0,
    deletedDocumentUris: 0,
    deletedDocuments: 0,
    ...counts,
  };
  return { dryRun, ...stats, totalDeleted: Object.values(stats).reduce((a, b) => a + b, 0) };
}

/** A statement selecting run ids (`select id from run where ...`) and its named bindings. */
type RunIdBindings = Readonly<Record<string, Knex.Value>>;

/**
 * Counts what deleting these runs takes with them (steps, events, LLM calls, files). Each count
 * is a join on the id sets, never `x in (select ...) or y in (select ...)`: an OR of IN
 * subqueries is a filter per row, and once a set (the 400,000 steps of a maximum-size group) is
 * too large for work_mem to hash, the planner re-scans it for every row of lifecycle_event that
 * the first test does not settle (every event of other groups). The planner picks that plan as
 * soon as the step table's statistics are fresh (autovacuum's analyze after a large start): with
 * other groups' events in the log it made deleteRunGroup of 50,000 runs x 8 steps hit the 300 s
 * bulk statement timeout (M5 in the full benchmark run).
 */
export async function countRunDependents(trx: Knex.Transaction, runIdsSql: string, bindings: RunIdBindings) {
  const [row] = await rawRows<{ runs: number; steps: number; events: number; llmCalls: number; files: number }>(
    trx,
    `/* count run dependents */ with runs as materialized (${runIdsSql}),
          steps as materialized (select s.id from step s join runs r on r.id = s.run_id),
          calls as materialized (select c.id from llm_call c join runs r on r.id = c.run_id)
     select (select count(*) from runs)::int as runs,
            (select count(*) from steps)::int as steps,
            (select count(*) from (
               select e.id from lifecycle_event e join runs r on r.id = e.run_id
               union select e.id from lifecycle_event e join steps s on s.id = e.step_id) events)::int as events,
            (select count(*) from calls)::int as llm_calls,
            (select count(*) from (
               select f.id from stored_file f join runs r on r.id = f.run_id
               union select f.id from stored_file f join steps s on s.id = f.step_id
               union select f.id from stored_file f join calls c on c.id = f.llm_call_id) files)::int as files`,
    bindings,
  );
  return row!;
}

/**
 * The group and everything under it; with dryRun, only the counts. Children go before their
 * parents (steps with their events, LLM calls and files, then runs, then the group), the lock
 * order every writer follows, instead of a cascade that would lock the group first.
 */
export async function deleteRunGroup(ctx: ServiceContext, id: string, dryRun: boolean): Promise<DeleteStats> {
  return transaction(
    ctx.db,
    async (trx) => {
      await rowInScope(trx, RunGroup, id, ctx.scope);
      const counts = await countRunDependents(trx, 'select id from run where run_group_id = :runGroupId', {
        runGroupId: id,
      });
      const groupEvents = await trx('lifecycle_event')
        .where({ runGroupId: id })
        .whereNull('runId')
        .whereNull('stepId')
        .count({ n: '*' })
        .first();
      const stats = deleteStats(dryRun, {
        deletedRunGroups: 1,
        deletedRuns: counts.runs,
        deletedSteps: counts.steps,
        deletedEvents: counts.events + Number((groupEvents as { n: number }).n),
        deletedLlmCalls: counts.llmCalls,
        deletedFiles: counts.files,
      });
      if (!dryRun) {
        await deleteRunsOf(trx, 'select id from run where run_group_id = :runGroupId', { runGroupId: id });
        await RunGroup.query(trx).deleteById(id);
        // Delivered at commit to every process's bus: its runGroupProgress subscriptions end.
        await trx.raw('select pg_notify(?, ?)', [RUN_GROUP_DELETED_CHANNEL, id]);
      }
      return stats;
    },
    { bulk: true },
  );
}

/**
 * Deletes runs and what hangs off them, children first (lock order): the events of the runs
 * and steps in one statement, then the steps (LLM calls and files cascade), then the runs.
 */
export async function deleteRunsOf(trx: Knex.Transaction, runIdsSql: string, bindings: RunIdBindings): Promise<void> {
  await trx.raw(`/* delete runs: events */ delete from lifecycle_event where run_id in (${runIdsSql})`, bindings);
  await trx.raw(`/* delete runs: steps */ delete from step where run_id in (${runIdsSql})`, bindings);
  await trx.raw(`/* delete runs: runs */ delete from run where id in (${runIdsSql})`, bindings);
}
