import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Batch } from './Batch';
import { Document } from './Document';
import { DocumentUriVersion } from './DocumentUriVersion';
import { Project } from './Project';

export class DocumentUri extends BaseModel {
  static override tableName = 'document_uri' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'document_id',
    'source',
    'uri',
    'version',
    'batch_id',
    'created_at',
    'updated_at',
  ];

  id!: string;
  projectId!: string;
  documentId!: string;
  source!: string;
  uri!: string;
  version!: number;
  batchId!: string | null;
  createdAt!: Date;
  updatedAt!: Date;

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'document_uri.projectId', to: 'project.id' },
    },
    document: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Document,
      join: { from: 'document_uri.documentId', to: 'document.id' },
    },
    batch: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Batch,
      join: { from: 'document_uri.batchId', to: 'batch.id' },
    },
    history: {
      relation: BaseModel.HasManyRelation,
      modelClass: DocumentUriVersion,
      join: { from: 'document_uri.id', to: 'document_uri_version.documentUriId' },
    },
  });
}
