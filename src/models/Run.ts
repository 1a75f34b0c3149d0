import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject, type StatusFields } from './BaseModel';
import { Batch } from './Batch';
import { Document } from './Document';
import { LlmCall } from './LlmCall';
import { Project } from './Project';
import { RunGroup } from './RunGroup';
import { Step } from './Step';
import { StoredFile } from './StoredFile';

/** One document through a run group's steps. */
export interface Run extends StatusFields {}
export class Run extends BaseModel {
  static override tableName = 'run' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'run_group_id',
    'batch_id',
    'document_id',
    'workflow_definition_id',
    'priority',
    'params',
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
  runGroupId!: string;
  batchId!: string | null;
  documentId!: string;
  workflowDefinitionId!: string;
  priority!: number;
  params!: JsonObject;
  version!: number;

  static override jsonAttributes = ['params', 'statusMeta'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'run.projectId', to: 'project.id' },
    },
    runGroup: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: RunGroup,
      join: { from: 'run.runGroupId', to: 'run_group.id' },
    },
    batch: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Batch,
      join: { from: 'run.batchId', to: 'batch.id' },
    },
    document: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Document,
      join: { from: 'run.documentId', to: 'document.id' },
    },
    steps: { relation: BaseModel.HasManyRelation, modelClass: Step, join: { from: 'run.id', to: 'step.runId' } },
    llmCalls: {
      relation: BaseModel.HasManyRelation,
      modelClass: LlmCall,
      join: { from: 'run.id', to: 'llm_call.runId' },
    },
    files: {
      relation: BaseModel.HasManyRelation,
      modelClass: StoredFile,
      join: { from: 'run.id', to: 'stored_file.runId' },
    },
  });
}
