import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject } from './BaseModel';
import { Batch } from './Batch';
import { DocumentUri } from './DocumentUri';

export type UriActionValue = 'CREATED' | 'UPDATED' | 'DELETED';

export class DocumentUriVersion extends BaseModel {
  static override tableName = 'document_uri_version' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'document_uri_id',
    'version',
    'hash',
    'action',
    'batch_id',
    'meta',
    'processed_at',
  ];

  id!: string;
  documentUriId!: string;
  version!: number;
  hash!: string;
  action!: UriActionValue;
  batchId!: string | null;
  meta!: JsonObject;
  processedAt!: Date;

  static override jsonAttributes = ['meta'];

  static override relationMappings = (): RelationMappings => ({
    documentUri: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: DocumentUri,
      join: { from: 'document_uri_version.documentUriId', to: 'document_uri.id' },
    },
    batch: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Batch,
      join: { from: 'document_uri_version.batchId', to: 'batch.id' },
    },
  });
}
