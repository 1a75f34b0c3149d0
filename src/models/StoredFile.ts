import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Document } from './Document';
import { LlmCall } from './LlmCall';
import { Run } from './Run';
import { Step } from './Step';

export type StoredFileKindValue =
  | 'DOCUMENT'
  | 'PARSED_MARKDOWN'
  | 'PARSED_JSON'
  | 'CHUNKS'
  | 'EMBEDDINGS'
  | 'RAG'
  | 'PROMPT'
  | 'RESPONSE'
  | 'LOG'
  | 'THUMBNAIL'
  | 'OTHER';

/** Exactly one owner; the path is derived from the owner's id. `content` is selected only on demand. */
export class StoredFile extends BaseModel {
  static override tableName = 'stored_file' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'project_id',
    'document_id',
    'run_id',
    'step_id',
    'llm_call_id',
    'kind',
    'path',
    'mime_type',
    'size_bytes',
    'checksum',
    'content',
    'created_at',
  ];

  id!: string;
  projectId!: string;
  documentId!: string | null;
  runId!: string | null;
  stepId!: string | null;
  llmCallId!: string | null;
  kind!: StoredFileKindValue;
  path!: string;
  mimeType!: string | null;
  sizeBytes!: number;
  checksum!: string;
  content?: Buffer;
  createdAt!: Date;

  static override relationMappings = (): RelationMappings => ({
    document: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Document,
      join: { from: 'stored_file.documentId', to: 'document.id' },
    },
    run: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Run,
      join: { from: 'stored_file.runId', to: 'run.id' },
    },
    step: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Step,
      join: { from: 'stored_file.stepId', to: 'step.id' },
    },
    llmCall: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: LlmCall,
      join: { from: 'stored_file.llmCallId', to: 'llm_call.id' },
    },
  });
}
