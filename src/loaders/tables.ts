import type { Knex } from 'knex';
import type { Keyset } from '../graphql/pagination';
import type { Selection } from '../graphql/selection';
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
 * Wide rows, narrowed to what a request asks for. `always`: ids and foreign keys, the only
 * columns resolvers read besides their own field's (relations, scoping); pages add their
 * keyset for cursors (rows.ts `scoped`), lists of thousands of steps and LLM calls need none.
 * Every other column of the model (but `unread`) is read only when the field of the same name
 * (camelCase) is selected: producing jsonb and timestamps in PostgreSQL and parsing them in Node
 * is most of what a row costs.
 */
function selective(
  model: { tableName: string; columns: readonly string[] },
  always: readonly string[],
  {
    withDuration,
    unread = [],
    derived = {},
  }: {
    withDuration: boolean;
    unread?: readonly string[];
    /** Values computed by PostgreSQL for a field, read only when a known operation selects it. */
    derived?: Record<string, (db: Knex) => Knex.Raw>;
  },
) {
  const table = model.tableName;
  const optional = model.columns.filter((c) => !always.includes(c) && !unread.includes(c));
  const byField = optional.map((column) => [camel(column), `${table}.${column}`] as const);
  return (db: Knex, fields?: ReadonlySet<string>): (string | Knex.Raw)[] => {
    const columns: (string | Knex.Raw)[] = always.map((c) => `${table}.${c}`);
    for (const [field, column] of byField) if (!fields || fields.has(field)) columns.push(column);
    if (withDuration && (!fields || fields.has('duration'))) columns.push(duration(db, table));
    for (const [field, value] of Object.entries(derived)) if (fields?.has(field)) columns.push(value(db));
    return columns;
  };
}

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
    type: RunGroup.name,
    columns: selective(RunGroup, ['id', 'project_id', 'batch_id'], {
      withDuration: true,
      // The group's runs by status, in the group's own row: one statement fewer per level
      // that shows progress (an index-only probe on run (run_group_id, status)).
      derived: {
        progress: (db) =>
          db.raw(
            `(select coalesce(jsonb_object_agg(c.status, c.n), '{}'::jsonb) from
               (select run.status, count(*)::int as n from run where run.run_group_id = run_group.id group by run.status) c)
             as status_counts`,
          ),
      },
    }),
    keyset: 'time',
    projectColumn: 'run_group.projectId',
  },
  run: {
    table: Run.tableName,
    type: Run.name,
    columns: selective(Run, ['id', 'project_id', 'run_group_id', 'batch_id', 'document_id'], {
      withDuration: true,
    }),
    keyset: 'time',
    projectColumn: 'run.projectId',
  },
  step: {
    table: Step.tableName,
    type: Step.name,
    columns: selective(Step, ['id', 'project_id', 'run_id', 'step_config_id', 'worker_id'], {
      withDuration: true,
    }),
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
    columns: selective(LlmCall, ['id', 'project_id', 'run_id', 'step_id'], { withDuration: false }),
    keyset: 'time',
    projectColumn: 'llm_call.projectId',
  },
  storedFile: {
    table: StoredFile.tableName,
    type: StoredFile.name,
    // Never the bytes: `content` is loaded on its own, only when asked for.
    columns: selective(StoredFile, ['id', 'project_id', 'document_id', 'run_id', 'step_id', 'llm_call_id', 'kind'], {
      withDuration: false,
      unread: ['content'],
    }),
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
export function tablesFor(selection: Selection): Tables {
  const narrowed: Record<string, TableSpec> = { ...tables };
  for (const [name, spec] of Object.entries(tables) as [string, TableSpec][]) {
    if (!spec.type) continue;
    const selected = selection.get(spec.type);
    narrowed[name] = { ...spec, columns: (db, fields) => spec.columns(db, fields ?? selected) };
  }
  return narrowed as Tables;
}
