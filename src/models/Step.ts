import type { RelationMappings } from 'objection';
import { BaseModel, type StatusFields, type StepTypeValue } from './BaseModel';
import { LlmCall } from './LlmCall';
import { Project } from './Project';
import { Run } from './Run';
import { StepConfig } from './StepConfig';
import { StoredFile } from './StoredFile';
import { Worker } from './Worker';

export interface Step extends StatusFields {}
export class Step extends BaseModel {
  static override tableName = 'step' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'run_id',
    'number',
    'name',
    'type',
    'step_config_id',
    'is_last_step',
    'priority',
    'retry',
    'max_retries',
    'worker_id',
    'version',
    'status',
    'status_message',
    'status_meta',
    'status_at',
    'started_at',
    'completed_at',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  runId!: string;
  /** 1-based position in the run. */
  number!: number;
  name!: string;
  type!: StepTypeValue;
  stepConfigId!: string | null;
  isLastStep!: boolean;
  priority!: number;
  /** Attempts already failed. */
  retry!: number;
  maxRetries!: number;
  workerId!: string | null;
  /** Bumps on every change: the optimistic-concurrency token. */
  version!: number;

  static override jsonAttributes = ['statusMeta'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'step.projectId', to: 'project.id' },
    },
    run: { relation: BaseModel.BelongsToOneRelation, modelClass: Run, join: { from: 'step.runId', to: 'run.id' } },
    config: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: StepConfig,
      join: { from: 'step.stepConfigId', to: 'step_config.id' },
    },
    worker: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Worker,
      join: { from: 'step.workerId', to: 'worker.id' },
    },
    llmCalls: {
      relation: BaseModel.HasManyRelation,
      modelClass: LlmCall,
      join: { from: 'step.id', to: 'llm_call.stepId' },
    },
    files: {
      relation: BaseModel.HasManyRelation,
      modelClass: StoredFile,
      join: { from: 'step.id', to: 'stored_file.stepId' },
    },
  });
}
