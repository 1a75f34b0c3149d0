import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject } from './BaseModel';
import { DocumentUri } from './DocumentUri';
import { Project } from './Project';
import { Run } from './Run';
import { StoredFile } from './StoredFile';

export class Document extends BaseModel {
  static override tableName = 'document' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'hash',
    'mime_type',
    'file_size',
    'meta',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  /** "sha256-" + 64 hex; unique per project. */
  hash!: string;
  mimeType!: string;
  fileSize!: number | null;
  meta!: JsonObject;
  createdAt!: Date;

  static override jsonAttributes = ['meta'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'document.projectId', to: 'project.id' },
    },
    uris: {
      relation: BaseModel.HasManyRelation,
      modelClass: DocumentUri,
      join: { from: 'document.id', to: 'document_uri.documentId' },
    },
    runs: { relation: BaseModel.HasManyRelation, modelClass: Run, join: { from: 'document.id', to: 'run.documentId' } },
    files: {
      relation: BaseModel.HasManyRelation,
      modelClass: StoredFile,
      join: { from: 'document.id', to: 'stored_file.documentId' },
    },
  });
}
