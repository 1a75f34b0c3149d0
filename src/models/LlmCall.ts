import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject } from './BaseModel';
import { Project } from './Project';
import { Run } from './Run';
import { Step } from './Step';
import { StoredFile } from './StoredFile';

export type LlmOperationValue = 'CHAT' | 'COMPLETION' | 'EMBEDDING' | 'RERANK' | 'OTHER';
export type LlmCallStatusValue = 'SUCCESS' | 'ERROR';

export class LlmCall extends BaseModel {
  static override tableName = 'llm_call' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'run_id',
    'step_id',
    'provider',
    'model',
    'operation',
    'params',
    'prompt_tokens',
    'completion_tokens',
    'total_tokens',
    'usage_details',
    'cost_usd',
    'latency_ms',
    'time_to_first_token_ms',
    'status',
    'error_message',
    'started_at',
    'completed_at',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  runId!: string;
  stepId!: string | null;
  provider!: string;
  model!: string;
  operation!: LlmOperationValue;
  params!: JsonObject;
  promptTokens!: number | null;
  completionTokens!: number | null;
  totalTokens!: number | null;
  usageDetails!: JsonObject;
  costUsd!: number | null;
  latencyMs!: number;
  timeToFirstTokenMs!: number | null;
  status!: LlmCallStatusValue;
  errorMessage!: string | null;
  startedAt!: Date | null;
  completedAt!: Date | null;
  createdAt!: Date;

  static override jsonAttributes = ['params', 'usageDetails'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'llm_call.projectId', to: 'project.id' },
    },
    run: { relation: BaseModel.BelongsToOneRelation, modelClass: Run, join: { from: 'llm_call.runId', to: 'run.id' } },
    step: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Step,
      join: { from: 'llm_call.stepId', to: 'step.id' },
    },
    files: {
      relation: BaseModel.HasManyRelation,
      modelClass: StoredFile,
      join: { from: 'llm_call.id', to: 'stored_file.llmCallId' },
    },
  });
}
