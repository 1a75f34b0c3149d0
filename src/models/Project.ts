import type { RelationMappings } from 'objection';
import { ApiKey } from './ApiKey';
import { BaseModel } from './BaseModel';
import { Batch } from './Batch';

export class Project extends BaseModel {
  static override tableName = 'project' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = ['id', 'slug', 'name', 'created_at'];

  id!: string;
  slug!: string;
  name!: string;
  createdAt!: Date;

  static override relationMappings = (): RelationMappings => ({
    batches: {
      relation: BaseModel.HasManyRelation,
      modelClass: Batch,
      join: { from: 'project.id', to: 'batch.projectId' },
    },
    apiKeys: {
      relation: BaseModel.HasManyRelation,
      modelClass: ApiKey,
      join: { from: 'project.id', to: 'api_key.projectId' },
    },
  });
}
