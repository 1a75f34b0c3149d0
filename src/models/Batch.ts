import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject } from './BaseModel';
import { DocumentUri } from './DocumentUri';
import { Project } from './Project';
import { RunGroup } from './RunGroup';

export class Batch extends BaseModel {
  static override tableName = 'batch' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'name',
    'source',
    'params',
    'started_at',
    'completed_at',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  name!: string;
  source!: string;
  params!: JsonObject;
  startedAt!: Date;
  completedAt!: Date | null;
  createdAt!: Date;

  static override jsonAttributes = ['params'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'batch.projectId', to: 'project.id' },
    },
    documentUris: {
      relation: BaseModel.HasManyRelation,
      modelClass: DocumentUri,
      join: { from: 'batch.id', to: 'document_uri.batchId' },
    },
    runGroups: {
      relation: BaseModel.HasManyRelation,
      modelClass: RunGroup,
      join: { from: 'batch.id', to: 'run_group.batchId' },
    },
  });
}
