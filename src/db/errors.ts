import { GraphQLError } from 'graphql';
import { badUserInput, conflict, notFound } from '../errors';

// What a violated constraint means to a client, in the API's words: never SQL, table or
// constraint names.
const CONSTRAINTS: Record<string, { field: string; message: string }> = {
  project_slug_unique: { field: 'slug', message: 'a project with this slug already exists' },
  project_slug_format: { field: 'slug', message: 'slug must be lowercase letters, digits and dashes (at most 63)' },
  project_name_length: { field: 'name', message: 'name must be 1 to 200 characters' },
  document_hash_format: { field: 'hash', message: 'hash must be "sha256-" followed by 64 lowercase hex digits' },
  document_uri_version_hash_format: {
    field: 'hash',
    message: 'hash must be "sha256-" followed by 64 lowercase hex digits',
  },
  document_file_size_non_negative: { field: 'fileSize', message: 'fileSize must be >= 0' },
  document_uri_project_id_source_uri_unique: {
    field: 'uri',
    message: 'this URI was written by a concurrent request; retry',
  },
  document_project_id_hash_unique: {
    field: 'hash',
    message: 'this document was written by a concurrent request; retry',
  },
  step_retries_non_negative: { field: 'maxRetries', message: 'maxRetries must be >= 0' },
  step_number_positive: { field: 'steps', message: 'step numbers start at 1' },
  llm_call_tokens_non_negative: { field: 'promptTokens', message: 'token counts must be >= 0' },
  llm_call_cost_non_negative: { field: 'costUsd', message: 'costUsd must be >= 0' },
  llm_call_latency_non_negative: { field: 'latencyMs', message: 'latencyMs and timeToFirstTokenMs must be >= 0' },
  stored_file_one_owner: { field: 'owner', message: 'a file has exactly one owner' },
  stored_file_size_non_negative: { field: 'content', message: 'size must be >= 0' },
  stored_file_path_unique: { field: 'path', message: 'a file already exists at this path' },
  worker_id_length: { field: 'workerId', message: 'a worker id is 1 to 200 characters' },
  idempotency_key_length: { field: 'idempotencyKey', message: 'idempotencyKey must be 1 to 200 characters' },
};

interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
}

/**
 * The PostgreSQL error behind `error`: a query through knex throws pg's own, one through an
 * Objection model throws it wrapped (db-errors' DBError, with pg's as `nativeError`).
 */
export function pgError(error: unknown): PgError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const native = (error as { nativeError?: unknown }).nativeError;
  return (typeof native === 'object' && native !== null ? native : error) as PgError;
}

/**
 * Maps a PostgreSQL error to a client error: unique -> CONFLICT, foreign key -> NOT_FOUND,
 * check / bad value -> BAD_USER_INPUT. Anything else is left alone (and masked upstream).
 */
export function mapDatabaseError(error: unknown): GraphQLError | undefined {
  if (error instanceof GraphQLError) return undefined;
  const { code, constraint } = pgError(error) ?? {};
  const known = constraint ? CONSTRAINTS[constraint] : undefined;
  switch (code) {
    case '23505':
      return conflict(known?.message ?? 'this value is already taken', { field: known?.field });
    case '23503':
      return notFound('Referenced object', known?.field ?? 'id');
    case '23514':
    case '23502':
      return badUserInput(known?.message ?? 'a value breaks a rule of the data model', known?.field);
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
    case '22023':
    case '22001':
      return badUserInput('a value has the wrong format or is out of range');
    case '54000':
      return badUserInput('a value is too large');
    default:
      return undefined;
  }
}
