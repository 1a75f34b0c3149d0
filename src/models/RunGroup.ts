import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject, type StatusFields } from './BaseModel';
import { Batch } from './Batch';
import { LifecycleEvent } from './LifecycleEvent';
import { Project } from './Project';
import { Run } from './Run';

export interface RunGroup extends StatusFields {}
export class RunGroup extends BaseModel {
  static override tableName = 'run_group' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'batch_id',
    'name',
    'workflow_definition_id',
    'param_definition_id',
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
  batchId!: string | null;
  name!: string | null;
  workflowDefinitionId!: string;
  paramDefinitionId!: string | null;
  priority!: number;
  params!: JsonObject;
  version!: number;

  static override jsonAttributes = ['params', 'statusMeta'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'run_group.projectId', to: 'project.id' },
    },
    batch: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Batch,
      join: { from: 'run_group.batchId', to: 'batch.id' },
    },
    runs: {
      relation: BaseModel.HasManyRelation,
      modelClass: Run,
      join: { from: 'run_group.id', to: 'run.runGroupId' },
    },
    events: {
      relation: BaseModel.HasManyRelation,
      modelClass: LifecycleEvent,
      join: { from: 'run_group.id', to: 'lifecycle_event.runGroupId' },
    },
  });
}
