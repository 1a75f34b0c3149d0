import type { Knex } from 'knex';
import type { Keyset } from '../graphql/pagination';
import {
  Batch,
  Document,
  DocumentUri,
  DocumentUriVersion,
  LifecycleEvent,
  LlmCall,
  Project,
  Run,
  RunGroup,
  Step,
  StepConfig,
  StoredFile,
  Worker,
} from '../models';

/**
 * How a table is read: its columns, its sort key, and the column that ties it to a project. The
 * table and the GraphQL type are the model's (src/models, the registry of tables).
 */
export interface TableSpec {
  table: string;
  /**
   * Selected columns; raw expressions may add derived values such as `duration`. With `fields`
   * (what the request selects on the table's GraphQL type), optional columns not asked for are
   * left out.
   */
  columns(db: Knex, fields?: ReadonlySet<string>): (string | Knex.Raw)[];
  /** The GraphQL type whose selected fields decide the optional columns. */
  type?: string;
  /** Columns loaders never read (loaded on their own, such as file content). */
  unread?: readonly string[];
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

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Wide rows, narrowed to what a request asks for. `always`: ids, foreign keys and the keyset,
 * the only columns resolvers read besides their own field's (relations, cursors, scoping).
 * Every other column is read only when the field of the same name (camelCase) is selected:
 * producing jsonb and timestamps in PostgreSQL and parsing them in Node is most of what a row
 * costs. test/loaders/tables.test.ts checks that always + optional is every column of the table.
 */
function selective(table: string, always: readonly string[], optional: readonly string[], withDuration: boolean) {
  const byField = optional.map((column) => [camel(column), `${table}.${column}`] as const);
  return (db: Knex, fields?: ReadonlySet<string>): (string | Knex.Raw)[] => {
    const columns: (string | Knex.Raw)[] = always.map((c) => `${table}.${c}`);
    for (const [field, column] of byField) if (!fields || fields.has(field)) columns.push(column);
    if (withDuration && (!fields || fields.has('duration'))) columns.push(duration(db, table));
    return columns;
  };
}

const STATUS = ['status', 'status_message', 'status_meta', 'status_at', 'started_at', 'completed_at'];

export const tables = {
  project: { table: Project.tableName, columns: plain('project'), keyset: 'time', projectColumn: 'project.id' },
  batch: { table: Batch.tableName, columns: all('batch'), keyset: 'time', projectColumn: 'batch.projectId' },
  document: {
    table: Document.tableName,
    columns: plain('document'),
    keyset: 'time',
    projectColumn: 'document.projectId',
  },
  documentUri: {
    table: DocumentUri.tableName,
    columns: plain('document_uri'),
    keyset: 'time',
    projectColumn: 'document_uri.projectId',
  },
  documentUriVersion: {
    table: DocumentUriVersion.tableName,
    columns: plain('document_uri_version'),
    keyset: 'time',
    projectColumn: null,
  },
  stepConfig: { table: StepConfig.tableName, columns: plain('step_config'), keyset: 'time', projectColumn: null },
  runGroup: {
    table: RunGroup.tableName,
    columns: all('run_group'),
    keyset: 'time',
    projectColumn: 'run_group.projectId',
  },
  run: {
    table: Run.tableName,
    type: Run.name,
    columns: selective(
      'run',
      ['id', 'project_id', 'run_group_id', 'batch_id', 'document_id', 'created_at'],
      ['workflow_definition_id', 'priority', 'params', 'version', ...STATUS],
      true,
    ),
    keyset: 'time',
    projectColumn: 'run.projectId',
  },
  step: {
    table: Step.tableName,
    type: Step.name,
    columns: selective(
      'step',
      ['id', 'project_id', 'run_id', 'step_config_id', 'worker_id', 'created_at'],
      ['number', 'name', 'type', 'is_last_step', 'priority', 'retry', 'max_retries', 'version', ...STATUS],
      true,
    ),
    keyset: 'time',
    projectColumn: 'step.projectId',
  },
  lifecycleEvent: {
    table: LifecycleEvent.tableName,
    // xid8 as text: it can exceed 2^53.
    columns: (db: Knex) => ['lifecycle_event.*', db.raw('lifecycle_event.tx_id::text as tx_id')],
    keyset: 'event',
    projectColumn: 'lifecycle_event.projectId',
  },
  llmCall: {
    table: LlmCall.tableName,
    type: LlmCall.name,
    columns: selective(
      'llm_call',
      ['id', 'project_id', 'run_id', 'step_id', 'created_at'],
      [
        'provider',
        'model',
        'operation',
        'params',
        'prompt_tokens',
        'completion_tokens',
        'total_tokens',
        'usage_details',
        'cost_usd',
        'latency_ms',
        'time_to_first_token_ms',
        'status',
        'error_message',
        'started_at',
        'completed_at',
      ],
      false,
    ),
    keyset: 'time',
    projectColumn: 'llm_call.projectId',
  },
  storedFile: {
    table: StoredFile.tableName,
    type: StoredFile.name,
    // Never the bytes: `content` is loaded on its own, only when asked for.
    columns: selective(
      'stored_file',
      ['id', 'project_id', 'document_id', 'run_id', 'step_id', 'llm_call_id', 'kind'],
      ['path', 'mime_type', 'size_bytes', 'checksum', 'created_at'],
      false,
    ),
    unread: ['content'],
    keyset: 'time',
    projectColumn: 'stored_file.projectId',
  },
  worker: {
    table: Worker.tableName,
    columns: (db: Knex) => [
      'worker.*',
      db.raw('extract(epoch from (now() - worker.last_checkin_at))::float8 as idle_seconds'),
    ],
    keyset: 'time',
    projectColumn: 'worker.projectId',
  },
} satisfies Record<string, TableSpec>;

export type Tables = typeof tables;

/** The tables as one request reads them: optional columns only for the fields it selects. */
export function tablesFor(fieldsOf: (type: string) => ReadonlySet<string> | undefined): Tables {
  const narrowed: Record<string, TableSpec> = { ...tables };
  for (const [name, spec] of Object.entries(tables) as [string, TableSpec][]) {
    if (!spec.type) continue;
    const type = spec.type;
    narrowed[name] = { ...spec, columns: (db, fields) => spec.columns(db, fields ?? fieldsOf(type)) };
  }
  return narrowed as Tables;
}
