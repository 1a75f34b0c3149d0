import type DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { BatchFilter, EventFilter, RunFilter } from '../__generated__/resolvers-types';
import type { Scope } from '../auth/scope';
import type * as G from '../graphql/mappers';
import type { Selection } from '../graphql/selection';
import { documentCountLoader, fileContentLoader, runStatusCountsLoader } from './aggregates';
import { applyBatchFilter, applyRunFilter } from './filters';
import { byIdLoader, byParentLoader, childCountLoader, childPageLoader, type Loader, type Then } from './rows';
import { tables, tablesFor, type Tables } from './tables';
import { activeStepsByWorkerLoader, workerByKeyLoader, type WorkerKey } from './workers';
import { MAX_LIST_ITEMS } from '../graphql/limits';

/** Lists that are not connections return at most this many items per parent (their weight in the cost). */
const CAPPED = { perParent: MAX_LIST_ITEMS } as const;

/** The loaders a batch may load its rows' children with, and what the operation selects. */
interface Plan {
  loaders: {
    documentById: Loader<G.Document | null>;
    urisByDocumentId: Loader<G.DocumentUri[]>;
    stepsByRunId: Loader<G.Step[]>;
    workerByKey: DataLoader<WorkerKey, G.Worker | null>;
    llmCallsByStepId: Loader<G.LlmCall[]>;
    filesByLlmCallId: Loader<G.StoredFile[]>;
  };
  selects(type: string, field: string): boolean;
  /** The operation asks nothing of this type but its id: a foreign key answers it (keyOnly). */
  keyOnly(type: string): boolean;
}

/** Waits for the loads asked for; undefined when there are none (nothing selected below). */
function loading(...loads: (Promise<unknown> | false)[]): Promise<unknown> | undefined {
  const asked = loads.filter((l): l is Promise<unknown> => l !== false);
  return asked.length ? Promise.all(asked) : undefined;
}

const unique = (ids: (string | null)[]) => [...new Set(ids.filter((id): id is string => id !== null))];

/**
 * What each batch loads with its rows (rows.ts `Then`), following the operation's selection:
 * a page of runs with its documents and steps, steps with their workers and LLM calls, LLM
 * calls with their files. The same batches the resolvers would make, one level at a time, made
 * before the parent settles, so the resolvers below find everything loaded.
 */
const withChildren = {
  runs:
    ({ loaders: l, selects }: Plan): Then<G.Run> =>
    (runs) =>
      loading(
        selects('Run', 'document') && l.documentById.loadMany(unique(runs.map((r) => r.documentId))),
        selects('Run', 'steps') && l.stepsByRunId.loadMany(runs.map((r) => r.id)),
      ),
  documents:
    ({ loaders: l, selects }: Plan): Then<G.Document> =>
    (docs) =>
      loading(selects('Document', 'uris') && l.urisByDocumentId.loadMany(docs.map((d) => d.id))),
  steps:
    ({ loaders: l, selects, keyOnly }: Plan): Then<G.Step> =>
    (steps) =>
      loading(
        selects('Step', 'worker') &&
          !keyOnly('Worker') &&
          l.workerByKey.loadMany(
            steps.flatMap((s) => (s.workerId === null ? [] : [{ projectId: s.projectId, id: s.workerId }])),
          ),
        selects('Step', 'llmCalls') && l.llmCallsByStepId.loadMany(steps.map((s) => s.id)),
      ),
  llmCalls:
    ({ loaders: l, selects }: Plan): Then<G.LlmCall> =>
    (calls) =>
      loading(
        (selects('LlmCall', 'promptFile') || selects('LlmCall', 'responseFile')) &&
          l.filesByLlmCallId.loadMany(calls.map((c) => c.id)),
      ),
};

/** A connection's first page counts its rows too when the operation asks for totalCount. */
const total = (p: Plan, connection: string) => p.selects(connection, 'totalCount');

/** How each batched read is made; createLoaders makes one only when a resolver first asks. */
const factories = {
  projectById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.Project>(db, t.project, scope),
  batchById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.Batch>(db, t.batch, scope),
  documentById: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    byIdLoader<G.Document>(db, t.document, scope, withChildren.documents(p)),
  runGroupById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.RunGroup>(db, t.runGroup, scope),
  runById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.Run>(db, t.run, scope),
  stepById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.Step>(db, t.step, scope),
  stepConfigById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.StepConfig>(db, t.stepConfig, scope),
  llmCallById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.LlmCall>(db, t.llmCall, scope),
  storedFileById: (db: Knex, scope: Scope, t: Tables) => byIdLoader<G.StoredFile>(db, t.storedFile, scope),
  workerByKey: (db: Knex, scope: Scope, t: Tables) => workerByKeyLoader(db, t.worker, scope),

  urisByDocumentId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.DocumentUri>(db, t.documentUri, 'documentId', scope, CAPPED),
  historyByDocumentUriId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.DocumentUriVersion>(db, t.documentUriVersion, 'documentUriId', scope, {
      orderBy: ['document_uri_version.version'],
      ...CAPPED,
    }),
  stepsByRunId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    byParentLoader<G.Step>(db, t.step, 'runId', scope, {
      orderBy: ['step.number'],
      ...CAPPED,
      then: withChildren.steps(p),
    }),
  llmCallsByStepId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    byParentLoader<G.LlmCall>(db, t.llmCall, 'stepId', scope, { ...CAPPED, then: withChildren.llmCalls(p) }),
  activeStepsByWorker: (db: Knex, scope: Scope, t: Tables) => activeStepsByWorkerLoader(db, t.step, scope),
  filesByDocumentId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.StoredFile>(db, t.storedFile, 'documentId', scope, CAPPED),
  filesByRunId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.StoredFile>(db, t.storedFile, 'runId', scope, CAPPED),
  filesByStepId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.StoredFile>(db, t.storedFile, 'stepId', scope, CAPPED),
  filesByLlmCallId: (db: Knex, scope: Scope, t: Tables) =>
    byParentLoader<G.StoredFile>(db, t.storedFile, 'llmCallId', scope),
  fileContent: (db: Knex, scope: Scope, _t: Tables) => fileContentLoader(db, scope),

  batchPagesByProjectId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.Batch, BatchFilter>(db, t.batch, 'projectId', scope, {
      applyFilter: applyBatchFilter,
      withTotal: total(p, 'BatchConnection'),
    }),
  batchCountsByProjectId: (db: Knex, scope: Scope, t: Tables) =>
    childCountLoader<BatchFilter>(db, t.batch, 'projectId', scope, applyBatchFilter),
  uriPagesByBatchId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.DocumentUri>(db, t.documentUri, 'batchId', scope, {
      withTotal: total(p, 'DocumentUriConnection'),
    }),
  uriCountsByBatchId: (db: Knex, scope: Scope, t: Tables) => childCountLoader(db, t.documentUri, 'batchId', scope),
  runGroupPagesByBatchId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.RunGroup>(db, t.runGroup, 'batchId', scope, { withTotal: total(p, 'RunGroupConnection') }),
  runGroupCountsByBatchId: (db: Knex, scope: Scope, t: Tables) => childCountLoader(db, t.runGroup, 'batchId', scope),
  runPagesByRunGroupId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.Run, RunFilter>(db, t.run, 'runGroupId', scope, {
      applyFilter: applyRunFilter,
      then: withChildren.runs(p),
      withTotal: total(p, 'RunConnection'),
    }),
  runCountsByRunGroupId: (db: Knex, scope: Scope, t: Tables) =>
    childCountLoader<RunFilter>(db, t.run, 'runGroupId', scope, applyRunFilter),
  runPagesByDocumentId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.Run, RunFilter>(db, t.run, 'documentId', scope, {
      applyFilter: applyRunFilter,
      then: withChildren.runs(p),
      withTotal: total(p, 'RunConnection'),
    }),
  runCountsByDocumentId: (db: Knex, scope: Scope, t: Tables) =>
    childCountLoader<RunFilter>(db, t.run, 'documentId', scope, applyRunFilter),
  eventPagesByRunGroupId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.LifecycleEvent, EventFilter>(db, t.lifecycleEvent, 'runGroupId', scope, {
      withTotal: total(p, 'LifecycleEventConnection'),
    }),
  eventCountsByRunGroupId: (db: Knex, scope: Scope, t: Tables) =>
    childCountLoader<EventFilter>(db, t.lifecycleEvent, 'runGroupId', scope),
  eventPagesByRunId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.LifecycleEvent, EventFilter>(db, t.lifecycleEvent, 'runId', scope, {
      withTotal: total(p, 'LifecycleEventConnection'),
    }),
  eventCountsByRunId: (db: Knex, scope: Scope, t: Tables) =>
    childCountLoader<EventFilter>(db, t.lifecycleEvent, 'runId', scope),
  llmCallPagesByRunId: (db: Knex, scope: Scope, t: Tables, p: Plan) =>
    childPageLoader<G.LlmCall>(db, t.llmCall, 'runId', scope, {
      then: withChildren.llmCalls(p),
      withTotal: total(p, 'LlmCallConnection'),
    }),
  llmCallCountsByRunId: (db: Knex, scope: Scope, t: Tables) => childCountLoader(db, t.llmCall, 'runId', scope),

  runStatusCountsByRunGroupId: (db: Knex, scope: Scope, _t: Tables) => runStatusCountsLoader(db, 'runGroupId', scope),
  runStatusCountsByBatchId: (db: Knex, scope: Scope, _t: Tables) => runStatusCountsLoader(db, 'batchId', scope),
  documentCountByBatchId: (db: Knex, scope: Scope, _t: Tables) => documentCountLoader(db, scope),
};

export type Loaders = { readonly [K in keyof typeof factories]: ReturnType<(typeof factories)[K]> } & {
  /**
   * True when the request's operation selects nothing of `type` but `id` (and __typename): a
   * relation to it is answered from the foreign key, which guarantees the row, without loading it.
   */
  keyOnly(type: string): boolean;
};

/**
 * One request's loaders, each made when a resolver first asks for it, reading the columns the
 * request's selection needs (without one, every column, and nothing loaded ahead).
 */
class LazyLoaders {
  private narrowed: Tables | undefined;
  private made: Plan | undefined;

  constructor(
    readonly db: Knex,
    readonly scope: Scope,
    readonly selection: Selection | undefined,
  ) {}

  get tables(): Tables {
    return (this.narrowed ??= this.selection ? tablesFor(this.selection) : tables);
  }

  get plan(): Plan {
    return (this.made ??= {
      loaders: this as unknown as Plan['loaders'],
      selects: (type, field) => this.selection?.get(type)?.has(field) ?? false,
      keyOnly: (type) => this.keyOnly(type),
    });
  }

  /** Asked once per resolved row (Step.worker): answered once per type. */
  private readonly keyOnlyByType = new Map<string, boolean>();

  keyOnly(type: string): boolean {
    let known = this.keyOnlyByType.get(type);
    if (known === undefined) {
      const fields = this.selection?.get(type);
      known = fields !== undefined && [...fields].every((field) => field === 'id' || field === '__typename');
      this.keyOnlyByType.set(type, known);
    }
    return known;
  }
}
type Factory = (db: Knex, scope: Scope, t: Tables, p: Plan) => unknown;
for (const [name, make] of Object.entries(factories) as [string, Factory][]) {
  Object.defineProperty(LazyLoaders.prototype, name, {
    get(this: LazyLoaders) {
      const loader = make(this.db, this.scope, this.tables, this.plan);
      Object.defineProperty(this, name, { value: loader, enumerable: true });
      return loader;
    },
  });
}

/**
 * Loaders shared beyond one operation (an event batch's, by scope), seen by one operation: the
 * same loaders, and `keyOnly` answered from that operation's own selection.
 */
class OperationView {
  constructor(
    readonly shared: Loaders,
    readonly own: Loaders,
  ) {}

  keyOnly(type: string): boolean {
    return this.own.keyOnly(type);
  }
}
for (const name of Object.keys(factories)) {
  Object.defineProperty(OperationView.prototype, name, {
    get(this: OperationView) {
      return this.shared[name as keyof typeof factories];
    },
  });
}

/** A claimed step's run, the run's document and the step's config, as its claim read them. */
export interface StepRows {
  run: G.Run;
  document: G.Document | null;
  config: G.StepConfig | null;
}

/** Loads spared: the loaders answer these rows as if they had read them. */
export function primeStepRows(loaders: Loaders, rows: StepRows): void {
  loaders.runById.prime(rows.run.id, rows.run);
  if (rows.document) loaders.documentById.prime(rows.document.id, rows.document);
  if (rows.config) loaders.stepConfigById.prime(rows.config.id, rows.config);
}

const payloadRows = new WeakMap<object, StepRows>();

/** A subscription payload (a claimed step) that brings rows its fields read. */
export function withStepRows<T extends object>(payload: T, rows: StepRows): T {
  payloadRows.set(payload, rows);
  return payload;
}

/** Primes `loaders` with the rows `payload` brings, if any (see withStepRows). */
export function primePayloadRows(loaders: Loaders, payload: unknown): void {
  const rows = typeof payload === 'object' && payload !== null ? payloadRows.get(payload) : undefined;
  if (rows) primeStepRows(loaders, rows);
}

/**
 * `shared` as the operation whose loaders are `own` sees them: every load goes through `shared`
 * (so it stays shared), while `keyOnly` follows the operation's selection (`own`'s).
 */
export function viewFor(shared: Loaders, own: Loaders): Loaders {
  return new OperationView(shared, own) as unknown as Loaders;
}

/**
 * The loaders of one request for `scope`. `selection`: the fields its operation selects (from
 * admission); without it (subscription events, whose loaders are shared by every subscriber of
 * a scope: see viewFor) rows are read whole and nothing is loaded ahead.
 */
export function createLoaders(db: Knex, scope: Scope, selection?: Selection): Loaders {
  return new LazyLoaders(db, scope, selection) as unknown as Loaders;
}
