import type { Knex } from 'knex';
import type { RecordLlmCallInput } from '../__generated__/resolvers-types';
import { transaction } from '../db/transaction';
import { badUserInput } from '../errors';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { LlmCall, Run, Step } from '../models';
import type { ServiceContext } from './context';
import { failpoint } from './failpoints';
import { assertSize, insertFiles } from './files';
import { idempotent } from './idempotency';
import { objectInput } from './json';
import { rowInScope } from './rowInScope';

async function loadLlmCall(trx: Knex.Transaction, id: string): Promise<G.LlmCall | undefined> {
  return LlmCall.query(trx).findById(id);
}

function nonNegative(value: number | null | undefined, field: string): void {
  if (value != null && !(value >= 0)) throw badUserInput(`${field} must be >= 0, got ${value}`, field);
}

/**
 * The call row first, then its prompt and response files under `llm-calls/<id>/`, in one
 * transaction. Project and run come from the step or run by foreign key, never from the caller.
 */
export async function recordLlmCall(ctx: ServiceContext, input: RecordLlmCallInput): Promise<G.LlmCall> {
  if (input.stepId == null && input.runId == null) throw badUserInput('give stepId or runId', 'stepId');
  nonNegative(input.promptTokens, 'promptTokens');
  nonNegative(input.completionTokens, 'completionTokens');
  nonNegative(input.costUsd, 'costUsd');
  nonNegative(input.latencyMs, 'latencyMs');
  nonNegative(input.timeToFirstTokenMs, 'timeToFirstTokenMs');
  assertSize(Buffer.byteLength(input.prompt), ctx.config.maxPromptBytes, 'prompt', 'MAX_PROMPT_BYTES');
  if (input.response != null)
    assertSize(Buffer.byteLength(input.response), ctx.config.maxPromptBytes, 'response', 'MAX_PROMPT_BYTES');
  const params = objectInput(input.params, 'params');
  const usageDetails = objectInput(input.usageDetails, 'usageDetails');

  return transaction(ctx.db, async (trx) => {
    let owner: { projectId: string; runId: string; stepId: string | null };
    if (input.stepId != null) {
      const step = await rowInScope(trx, Step, input.stepId, ctx.scope, { field: 'stepId' });
      if (input.runId != null && assertUuid(input.runId, 'runId') !== step.runId) {
        throw badUserInput(`step ${step.id} belongs to run ${step.runId}, not ${input.runId}`, 'runId');
      }
      owner = { projectId: step.projectId, runId: step.runId, stepId: step.id };
    } else {
      const run = await rowInScope(trx, Run, input.runId!, ctx.scope, { field: 'runId' });
      owner = { projectId: run.projectId, runId: run.id, stepId: null };
    }
    return idempotent(
      trx,
      { projectId: owner.projectId, operation: 'recordLlmCall', key: input.idempotencyKey, input },
      async () => {
        const tokens = [input.promptTokens, input.completionTokens].filter((t): t is number => t != null);
        const call = await LlmCall.query(trx)
          .insert({
            ...owner,
            provider: input.provider,
            model: input.model,
            operation: input.operation,
            params,
            promptTokens: input.promptTokens ?? null,
            completionTokens: input.completionTokens ?? null,
            totalTokens: tokens.length ? tokens.reduce((a, b) => a + b, 0) : null,
            usageDetails,
            costUsd: input.costUsd ?? null,
            latencyMs: input.latencyMs,
            timeToFirstTokenMs: input.timeToFirstTokenMs ?? null,
            status: input.status,
            errorMessage: input.errorMessage ?? null,
            startedAt: input.startedAt ?? null,
            completedAt: trx.fn.now(),
          })
          .returning('id');
        // The prompt and the response in one statement.
        await insertFiles(trx, [
          {
            projectId: owner.projectId,
            owner: { llmCallId: call.id },
            kind: 'PROMPT',
            content: Buffer.from(input.prompt),
            mimeType: 'text/plain; charset=utf-8',
            name: 'prompt.txt',
          },
          ...(input.response != null
            ? [
                {
                  projectId: owner.projectId,
                  owner: { llmCallId: call.id },
                  kind: 'RESPONSE' as const,
                  content: Buffer.from(input.response),
                  mimeType: 'text/plain; charset=utf-8',
                  name: 'response.txt',
                },
              ]
            : []),
        ]);
        failpoint('recordLlmCall.afterFiles');
        return (await loadLlmCall(trx, call.id))!;
      },
      { encode: (c) => ({ id: c.id }), decode: ({ id }: { id: string }) => loadLlmCall(trx, id) },
    );
  });
}
