import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Project } from './Project';

export type RoleValue = 'READER' | 'WRITER' | 'ADMIN';

export class ApiKey extends BaseModel {
  static override tableName = 'api_key' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'role',
    'secret_hash',
    'created_at',
    'revoked_at',
    'expires_at',
  ];

  id!: string;
  /** null: an admin key for every project. */
  projectId!: string | null;
  role!: RoleValue;
  /** sha256 of the secret; the secret itself is never stored. */
  secretHash!: string;
  createdAt!: Date;
  revokedAt!: Date | null;
  /** null: never expires. */
  expiresAt!: Date | null;

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'api_key.projectId', to: 'project.id' },
    },
  });
}
