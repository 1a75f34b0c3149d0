import type { Knex } from 'knex';
import type { Keyset } from '../graphql/pagination';

/** How a table is read: its columns, its sort key, and the column that ties it to a project. */
export interface TableSpec {
  table: string;
  /** Selected columns; raw expressions may add derived values such as `duration`. */
  columns(db: Knex): (string | Knex.Raw)[];
  keyset: Keyset['kind'];
  /** The column holding the project id, or null for tables scoped through their parent. */
  projectColumn: string | null;
}

function all(table: string) {
  return (db: Knex) => [`${table}.*`, duration(db, table)];
}

/** Seconds between start and completion, computed by the database; null until both are set. */
function duration(db: Knex, table: string, start = 'started_at', end = 'completed_at'): Knex.Raw {
  return db.raw(`extract(epoch from (??.${end} - ??.${start}))::float8 as duration`, [table, table]);
}

const plain = (table: string) => (_db: Knex) => [`${table}.*`];

export const tables = {
  project: { table: 'project', columns: plain('project'), keyset: 'time', projectColumn: 'project.id' },
  batch: { table: 'batch', columns: all('batch'), keyset: 'time', projectColumn: 'batch.projectId' },
  document: { table: 'document', columns: plain('document'), keyset: 'time', projectColumn: 'document.projectId' },
  documentUri: {
    table: 'document_uri',
    columns: plain('document_uri'),
    keyset: 'time',
    projectColumn: 'document_uri.projectId',
  },
  documentUriVersion: {
    table: 'document_uri_version',
    columns: plain('document_uri_version'),
    keyset: 'time',
    projectColumn: null,
  },
  stepConfig: { table: 'step_config', columns: plain('step_config'), keyset: 'time', projectColumn: null },
  runGroup: { table: 'run_group', columns: all('run_group'), keyset: 'time', projectColumn: 'run_group.projectId' },
  run: { table: 'run', columns: all('run'), keyset: 'time', projectColumn: 'run.projectId' },
  step: { table: 'step', columns: all('step'), keyset: 'time', projectColumn: 'step.projectId' },
  lifecycleEvent: {
    table: 'lifecycle_event',
    // xid8 as text: it can exceed 2^53.
    columns: (db: Knex) => ['lifecycle_event.*', db.raw('lifecycle_event.tx_id::text as tx_id')],
    keyset: 'event',
    projectColumn: 'lifecycle_event.projectId',
  },
  llmCall: { table: 'llm_call', columns: plain('llm_call'), keyset: 'time', projectColumn: 'llm_call.projectId' },
  storedFile: {
    table: 'stored_file',
    // Never the bytes: `content` is loaded on its own, only when asked for.
    columns: () =>
      ['id', 'projectId', 'documentId', 'runId', 'stepId', 'llmCallId', 'kind', 'path', 'mimeType', 'sizeBytes', 'checksum', 'createdAt'].map(
        (c) => `stored_file.${c}`,
      ),
    keyset: 'time',
    projectColumn: 'stored_file.projectId',
  },
  worker: {
    table: 'worker',
    columns: (db: Knex) => ['worker.*', db.raw('extract(epoch from (now() - worker.last_checkin_at))::float8 as idle_seconds')],
    keyset: 'time',
    projectColumn: null,
  },
} satisfies Record<string, TableSpec>;
