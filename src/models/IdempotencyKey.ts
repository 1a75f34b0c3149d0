import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Project } from './Project';

/** The first result of a create mutation called with an idempotency key. */
export class IdempotencyKey extends BaseModel {
  static override tableName = 'idempotency_key' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'operation',
    'key',
    'request_hash',
    'result',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  /** The mutation's name. */
  operation!: string;
  key!: string;
  /** sha256 of the canonical JSON of the input, without the key. */
  requestHash!: string;
  result!: Record<string, unknown> | null;
  createdAt!: Date;

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'idempotency_key.projectId', to: 'project.id' },
    },
  });

  static override jsonAttributes = ['result'];
}
