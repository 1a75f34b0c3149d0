/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type ClaimStepInput = {
  /** Only steps of this project. */
  projectId?: string | number | null | undefined;
  /** Only steps of this run group. */
  runGroupId?: string | number | null | undefined;
  /** Only steps of these types. */
  types?: Array<StepType> | null | undefined;
  /** The worker's own name; claiming counts as its check-in. */
  workerId: string | number;
};

export type ContentEncoding =
  /** The bytes in base64. */
  | 'BASE64'
  /** The bytes as UTF-8 text. */
  | 'UTF8';

export type CreateBatchInput = {
  documents?: Array<DocumentInput> | null | undefined;
  idempotencyKey?: string | null | undefined;
  name: string;
  params?: unknown;
  projectId: string | number;
  source: string;
};

export type CreateProjectInput = {
  name: string;
  /** Lowercase letters, digits and dashes, at most 63 characters; unique. */
  slug: string;
};

/**
 * One document of a batch, found at `uri`. Give exactly one of `hash` (`sha256-` + 64 lowercase hex
 * digits, when the bytes live elsewhere) or `content` (the bytes in base64: the server computes
 * the hash and keeps the bytes as a DOCUMENT file).
 */
export type DocumentInput = {
  content?: string | null | undefined;
  /** Bytes; defaults to the size of `content` when given. */
  fileSize?: number | null | undefined;
  hash?: string | null | undefined;
  meta?: unknown;
  mimeType: string;
  /** Defaults to the batch's source. */
  source?: string | null | undefined;
  uri: string;
};

export type EventFilter = {
  batchId?: string | number | null | undefined;
  projectId?: string | number | null | undefined;
  runGroupId?: string | number | null | undefined;
  runId?: string | number | null | undefined;
  /** Only events of steps of these types (group and run events have no step type and are left out). */
  stepTypes?: Array<StepType> | null | undefined;
};

export type LlmCallFilter = {
  model?: string | null | undefined;
  projectId?: string | number | null | undefined;
  provider?: string | null | undefined;
  runGroupId?: string | number | null | undefined;
  runId?: string | number | null | undefined;
  /** Calls created at or after this instant. */
  since?: string | null | undefined;
  status?: LlmCallStatus | null | undefined;
  stepId?: string | number | null | undefined;
  /** Calls created before this instant. */
  until?: string | null | undefined;
};

export type LlmCallStatus = 'ERROR' | 'SUCCESS';

export type LlmOperation = 'CHAT' | 'COMPLETION' | 'EMBEDDING' | 'OTHER' | 'RERANK';

/** Give stepId (the run and project come from the step) or runId (for calls outside a step). */
export type RecordLlmCallInput = {
  completionTokens?: number | null | undefined;
  costUsd?: number | null | undefined;
  errorMessage?: string | null | undefined;
  idempotencyKey?: string | null | undefined;
  latencyMs: number;
  model: string;
  operation: LlmOperation;
  params?: unknown;
  /** Stored as `llm-calls/<id>/prompt.txt`. */
  prompt: string;
  promptTokens?: number | null | undefined;
  provider: string;
  /** Stored as `llm-calls/<id>/response.txt`. */
  response?: string | null | undefined;
  runId?: string | number | null | undefined;
  startedAt?: string | null | undefined;
  status: LlmCallStatus;
  stepId?: string | number | null | undefined;
  timeToFirstTokenMs?: number | null | undefined;
  usageDetails?: unknown;
};

export type ReleaseStepInput = {
  /**
   * The step's version as the worker last saw it (its claim, or its heartbeat's `activeSteps`);
   * another is a CONFLICT, so a release never undoes a later claim of the same step.
   */
  expectedVersion: number;
  /** Why the step is handed back, stored as its statusMessage. */
  message?: string | null | undefined;
  stepId: string | number;
  /** The worker the step is RUNNING under; a step held by another worker is a CONFLICT. */
  workerId: string | number;
};

/**
 * The status of a run group, a run or a step.
 *
 * A step moves `PENDING -> RUNNING -> COMPLETED | ERROR | FAILED`. `ERROR` means "failed, will be
 * retried": the step can be claimed again while `retry < maxRetries`, after that it becomes `FAILED`.
 * `CANCELLED` can be reached from any state that is not final. Runs and run groups roll up from
 * their steps.
 */
export type RunStatus =
  /** Stopped on request (final). */
  | 'CANCELLED'
  /** Finished successfully (final). */
  | 'COMPLETED'
  /** Failed, and will be retried. */
  | 'ERROR'
  /** Failed for good (final). */
  | 'FAILED'
  /** Created, not started yet. */
  | 'PENDING'
  /** A worker is on it. */
  | 'RUNNING';

/** Exactly one of batchId (every document of the batch) or documentIds. */
export type StartRunGroupInput = {
  batchId?: string | number | null | undefined;
  documentIds?: Array<string | number> | null | undefined;
  idempotencyKey?: string | null | undefined;
  name?: string | null | undefined;
  paramDefinitionId?: string | null | undefined;
  params?: unknown;
  /** Higher is claimed first. Default 0. */
  priority?: number | null | undefined;
  steps: Array<StepSpecInput>;
  workflowDefinitionId: string;
};

/** How a step was taken from the worker that ran it. */
export type StepRevocationReason =
  /** The step was cancelled (itself, its run or its run group). */
  | 'CANCELLED'
  /** Its lease expired with no retry left: the step is FAILED. */
  | 'LOST'
  /** Another worker claimed it after this worker's lease expired. */
  | 'TAKEN_OVER';

/** One step of the workflow each run goes through, in order. */
export type StepSpecInput = {
  config?: unknown;
  /** How many failed attempts may be retried. Default 0: the first failure is final. */
  maxRetries?: number | null | undefined;
  name: string;
  type: StepType;
};

/** The kinds of work a pipeline step does. */
export type StepType = 'CHUNK' | 'EMBED' | 'ENRICH' | 'INGEST' | 'PARSE' | 'ROUTE' | 'STORE' | 'VALIDATE';

/** Exactly one owner: documentId, runId or stepId. */
export type StoreFileInput = {
  content: string;
  documentId?: string | number | null | undefined;
  /** How `content` is encoded. */
  encoding?: ContentEncoding | null | undefined;
  kind: StoredFileKind;
  mimeType?: string | null | undefined;
  runId?: string | number | null | undefined;
  stepId?: string | number | null | undefined;
};

export type StoredFileKind =
  | 'CHUNKS'
  | 'DOCUMENT'
  | 'EMBEDDINGS'
  | 'LOG'
  | 'OTHER'
  | 'PARSED_JSON'
  | 'PARSED_MARKDOWN'
  | 'PROMPT'
  | 'RAG'
  | 'RESPONSE'
  | 'THUMBNAIL';

export type UpdateStepStatusInput = {
  /**
   * The step's version as you last saw it (a claim returns it); a newer one is a CONFLICT. A
   * takeover moves the version, so the report of a worker that lost the step fails.
   */
  expectedVersion?: number | null | undefined;
  message?: string | null | undefined;
  meta?: unknown;
  status: RunStatus;
  stepId: string | number;
  /**
   * The worker reporting; a step held by another worker is a CONFLICT. A report on a RUNNING step
   * (COMPLETED, ERROR, FAILED) must give this or `expectedVersion`, else it is BAD_USER_INPUT:
   * only the worker holding the step may report on it (CANCELLED may come from anyone).
   */
  workerId?: string | number | null | undefined;
};

export type WorkFilter = {
  /** Only work of this project. */
  projectId?: string | number | null | undefined;
  /** Only work of this run group. */
  runGroupId?: string | number | null | undefined;
  /** Only work of steps of these types. */
  stepTypes?: Array<StepType> | null | undefined;
};

/** Why a step may have become claimable. */
export type WorkReason =
  /** A run group started: the first step of each of its runs. */
  | 'GROUP_START'
  /** A step failed with retries left (ERROR): the same step again. */
  | 'RETRY'
  /** A step completed: the next step of its run. */
  | 'STEP_COMPLETED';

export type CreateProjectMutationVariables = Exact<{
  input: CreateProjectInput;
}>;

export type CreateProjectMutation = { createProject: { id: string; slug: string } };

export type CreateBatchMutationVariables = Exact<{
  input: CreateBatchInput;
}>;

export type CreateBatchMutation = { createBatch: { id: string; name: string } };

export type StartRunGroupMutationVariables = Exact<{
  input: StartRunGroupInput;
}>;

export type StartRunGroupMutation = { startRunGroup: { id: string; status: RunStatus } };

export type RunGroupOutcomeQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;

export type RunGroupOutcomeQuery = {
  runGroup: {
    id: string;
    status: RunStatus;
    progress: { total: number; completed: number; failed: number; fractionDone: number };
    runs: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: Array<{
        id: string;
        status: RunStatus;
        steps: Array<{ id: string; type: StepType; status: RunStatus; retry: number }>;
      }>;
    };
  } | null;
};

export type RunGroupProgressSubscriptionVariables = Exact<{
  runGroupId: string | number;
}>;

export type RunGroupProgressSubscription = {
  runGroupProgress: {
    total: number;
    pending: number;
    running: number;
    completed: number;
    failed: number;
    fractionDone: number;
  };
};

export type RunDetailQueryVariables = Exact<{
  id: string | number;
}>;

export type RunDetailQuery = {
  run: {
    id: string;
    status: RunStatus;
    duration: number | null;
    document: { hash: string; uris: Array<{ source: string; uri: string; version: number }> };
    steps: Array<{
      id: string;
      number: number;
      name: string;
      type: StepType;
      status: RunStatus;
      retry: number;
      maxRetries: number;
      version: number;
      worker: { id: string; isStale: boolean } | null;
      llmCalls: Array<{ model: string; totalTokens: number | null; costUsd: number | null; latencyMs: number }>;
    }>;
  } | null;
};

export type RunGroupPageQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;

export type RunGroupPageQuery = {
  runGroup: {
    id: string;
    name: string | null;
    status: RunStatus;
    progress: {
      total: number;
      pending: number;
      running: number;
      completed: number;
      failed: number;
      fractionDone: number;
    };
    runs: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: Array<{ id: string; status: RunStatus; duration: number | null; document: { hash: string } }>;
    };
  } | null;
};

export type BatchOverviewQueryVariables = Exact<{
  id: string | number;
}>;

export type BatchOverviewQuery = {
  batch: {
    id: string;
    name: string;
    source: string;
    startedAt: string;
    completedAt: string | null;
    stats: { documentCount: number; runCount: number; runsByStatus: Array<{ status: RunStatus; count: number }> };
    runGroups: {
      nodes: Array<{
        id: string;
        name: string | null;
        status: RunStatus;
        progress: { total: number; completed: number; fractionDone: number };
      }>;
    };
  } | null;
};

export type LlmUsageByModelQueryVariables = Exact<{
  filter?: LlmCallFilter | null | undefined;
}>;

export type LlmUsageByModelQuery = {
  llmUsage: Array<{
    key: string;
    calls: number;
    errors: number;
    totalTokens: number;
    costUsd: number;
    latencyMsP50: number | null;
    latencyMsP95: number | null;
  }>;
};

export type StepStatusChangedSubscriptionVariables = Exact<{
  filter: EventFilter;
  after?: string | null | undefined;
}>;

export type StepStatusChangedSubscription = {
  stepStatusChanged: {
    cursor: string;
    previousStatus: RunStatus | null;
    status: RunStatus;
    step: { id: string; name: string; number: number };
    runGroupProgress: { total: number; completed: number; fractionDone: number };
  };
};

export type ClaimedStepFieldsFragment = {
  id: string;
  number: number;
  name: string;
  type: StepType;
  retry: number;
  maxRetries: number;
  version: number;
  statusMessage: string | null;
  config: { config: unknown } | null;
  run: {
    id: string;
    params: unknown;
    runGroup: { id: string };
    document: { id: string; hash: string; mimeType: string };
  };
};

export type ClaimNextStepMutationVariables = Exact<{
  input: ClaimStepInput;
}>;

export type ClaimNextStepMutation = {
  claimNextStep: {
    id: string;
    number: number;
    name: string;
    type: StepType;
    retry: number;
    maxRetries: number;
    version: number;
    statusMessage: string | null;
    config: { config: unknown } | null;
    run: {
      id: string;
      params: unknown;
      runGroup: { id: string };
      document: { id: string; hash: string; mimeType: string };
    };
  } | null;
};

export type ClaimedStepSubscriptionVariables = Exact<{
  input: ClaimStepInput;
}>;

export type ClaimedStepSubscription = {
  claimedStep: {
    id: string;
    number: number;
    name: string;
    type: StepType;
    retry: number;
    maxRetries: number;
    version: number;
    statusMessage: string | null;
    config: { config: unknown } | null;
    run: {
      id: string;
      params: unknown;
      runGroup: { id: string };
      document: { id: string; hash: string; mimeType: string };
    };
  };
};

export type ReportStepStatusMutationVariables = Exact<{
  input: UpdateStepStatusInput;
}>;

export type ReportStepStatusMutation = {
  updateStepStatus: { id: string; status: RunStatus; retry: number; version: number };
};

export type ReleaseStepMutationVariables = Exact<{
  input: ReleaseStepInput;
}>;

export type ReleaseStepMutation = { releaseStep: { id: string; status: RunStatus; retry: number; version: number } };

export type WorkerHeartbeatMutationVariables = Exact<{
  id: string | number;
  projectId?: string | number | null | undefined;
}>;

export type WorkerHeartbeatMutation = {
  workerCheckin: { id: string; leaseSeconds: number; activeSteps: Array<{ id: string; version: number }> };
};

export type RecordStepLlmCallMutationVariables = Exact<{
  input: RecordLlmCallInput;
}>;

export type RecordStepLlmCallMutation = { recordLlmCall: { id: string; costUsd: number | null } };

export type StoreStepFileMutationVariables = Exact<{
  input: StoreFileInput;
}>;

export type StoreStepFileMutation = { storeFile: { id: string; path: string; sizeBytes: number; checksum: string } };

export type WorkAvailableSubscriptionVariables = Exact<{
  filter: WorkFilter;
}>;

export type WorkAvailableSubscription = {
  workAvailable: { reason: WorkReason; runGroupId: string; stepTypes: Array<StepType> };
};

export type StepsRevokedSubscriptionVariables = Exact<{
  workerId: string | number;
  projectId?: string | number | null | undefined;
}>;

export type StepsRevokedSubscription = {
  stepsRevoked: { stepId: string; reason: StepRevocationReason; status: RunStatus; statusMessage: string | null };
};

export const ClaimedStepFieldsFragmentDoc = {
  kind: 'Document',
  definitions: [
    {
      kind: 'FragmentDefinition',
      name: { kind: 'Name', value: 'ClaimedStepFields' },
      typeCondition: { kind: 'NamedType', name: { kind: 'Name', value: 'Step' } },
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          { kind: 'Field', name: { kind: 'Name', value: 'id' } },
          { kind: 'Field', name: { kind: 'Name', value: 'number' } },
          { kind: 'Field', name: { kind: 'Name', value: 'name' } },
          { kind: 'Field', name: { kind: 'Name', value: 'type' } },
          { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
          { kind: 'Field', name: { kind: 'Name', value: 'maxRetries' } },
          { kind: 'Field', name: { kind: 'Name', value: 'version' } },
          { kind: 'Field', name: { kind: 'Name', value: 'statusMessage' } },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'config' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [{ kind: 'Field', name: { kind: 'Name', value: 'config' } }],
            },
          },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'run' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'params' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runGroup' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [{ kind: 'Field', name: { kind: 'Name', value: 'id' } }],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'document' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'hash' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'mimeType' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<ClaimedStepFieldsFragment, unknown>;
export const CreateProjectDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'CreateProject' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: {
            kind: 'NonNullType',
            type: { kind: 'NamedType', name: { kind: 'Name', value: 'CreateProjectInput' } },
          },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'createProject' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'slug' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<CreateProjectMutation, CreateProjectMutationVariables>;
export const CreateBatchDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'CreateBatch' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'CreateBatchInput' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'createBatch' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'name' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<CreateBatchMutation, CreateBatchMutationVariables>;
export const StartRunGroupDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'StartRunGroup' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: {
            kind: 'NonNullType',
            type: { kind: 'NamedType', name: { kind: 'Name', value: 'StartRunGroupInput' } },
          },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'startRunGroup' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<StartRunGroupMutation, StartRunGroupMutationVariables>;
export const RunGroupOutcomeDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'query',
      name: { kind: 'Name', value: 'RunGroupOutcome' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'first' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'Int' } },
          defaultValue: { kind: 'IntValue', value: '100' },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'String' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'runGroup' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'id' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'progress' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'total' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'completed' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'failed' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'fractionDone' } },
                    ],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runs' },
                  arguments: [
                    {
                      kind: 'Argument',
                      name: { kind: 'Name', value: 'first' },
                      value: { kind: 'Variable', name: { kind: 'Name', value: 'first' } },
                    },
                    {
                      kind: 'Argument',
                      name: { kind: 'Name', value: 'after' },
                      value: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
                    },
                  ],
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'pageInfo' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'hasNextPage' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'endCursor' } },
                          ],
                        },
                      },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'nodes' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                            {
                              kind: 'Field',
                              name: { kind: 'Name', value: 'steps' },
                              arguments: [
                                {
                                  kind: 'Argument',
                                  name: { kind: 'Name', value: 'first' },
                                  value: { kind: 'IntValue', value: '20' },
                                },
                              ],
                              selectionSet: {
                                kind: 'SelectionSet',
                                selections: [
                                  { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                                  { kind: 'Field', name: { kind: 'Name', value: 'type' } },
                                  { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                                  { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
                                ],
                              },
                            },
                          ],
                        },
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<RunGroupOutcomeQuery, RunGroupOutcomeQueryVariables>;
export const RunGroupProgressDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'subscription',
      name: { kind: 'Name', value: 'RunGroupProgress' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'runGroupId' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'runGroupProgress' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'runGroupId' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'runGroupId' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'total' } },
                { kind: 'Field', name: { kind: 'Name', value: 'pending' } },
                { kind: 'Field', name: { kind: 'Name', value: 'running' } },
                { kind: 'Field', name: { kind: 'Name', value: 'completed' } },
                { kind: 'Field', name: { kind: 'Name', value: 'failed' } },
                { kind: 'Field', name: { kind: 'Name', value: 'fractionDone' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<RunGroupProgressSubscription, RunGroupProgressSubscriptionVariables>;
export const RunDetailDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'query',
      name: { kind: 'Name', value: 'RunDetail' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'run' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'id' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                { kind: 'Field', name: { kind: 'Name', value: 'duration' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'document' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'hash' } },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'uris' },
                        arguments: [
                          {
                            kind: 'Argument',
                            name: { kind: 'Name', value: 'first' },
                            value: { kind: 'IntValue', value: '10' },
                          },
                        ],
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'source' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'uri' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'version' } },
                          ],
                        },
                      },
                    ],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'steps' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'number' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'name' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'type' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'maxRetries' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'version' } },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'worker' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'isStale' } },
                          ],
                        },
                      },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'llmCalls' },
                        arguments: [
                          {
                            kind: 'Argument',
                            name: { kind: 'Name', value: 'first' },
                            value: { kind: 'IntValue', value: '20' },
                          },
                        ],
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'model' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'totalTokens' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'costUsd' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'latencyMs' } },
                          ],
                        },
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<RunDetailQuery, RunDetailQueryVariables>;
export const RunGroupPageDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'query',
      name: { kind: 'Name', value: 'RunGroupPage' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'first' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'Int' } },
          defaultValue: { kind: 'IntValue', value: '50' },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'String' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'runGroup' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'id' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'name' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'progress' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'total' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'pending' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'running' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'completed' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'failed' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'fractionDone' } },
                    ],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runs' },
                  arguments: [
                    {
                      kind: 'Argument',
                      name: { kind: 'Name', value: 'first' },
                      value: { kind: 'Variable', name: { kind: 'Name', value: 'first' } },
                    },
                    {
                      kind: 'Argument',
                      name: { kind: 'Name', value: 'after' },
                      value: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
                    },
                  ],
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'totalCount' } },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'pageInfo' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'hasNextPage' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'endCursor' } },
                          ],
                        },
                      },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'nodes' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'duration' } },
                            {
                              kind: 'Field',
                              name: { kind: 'Name', value: 'document' },
                              selectionSet: {
                                kind: 'SelectionSet',
                                selections: [{ kind: 'Field', name: { kind: 'Name', value: 'hash' } }],
                              },
                            },
                          ],
                        },
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<RunGroupPageQuery, RunGroupPageQueryVariables>;
export const BatchOverviewDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'query',
      name: { kind: 'Name', value: 'BatchOverview' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'batch' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'id' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'name' } },
                { kind: 'Field', name: { kind: 'Name', value: 'source' } },
                { kind: 'Field', name: { kind: 'Name', value: 'startedAt' } },
                { kind: 'Field', name: { kind: 'Name', value: 'completedAt' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'stats' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'documentCount' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'runCount' } },
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'runsByStatus' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'count' } },
                          ],
                        },
                      },
                    ],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runGroups' },
                  arguments: [
                    {
                      kind: 'Argument',
                      name: { kind: 'Name', value: 'first' },
                      value: { kind: 'IntValue', value: '20' },
                    },
                  ],
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      {
                        kind: 'Field',
                        name: { kind: 'Name', value: 'nodes' },
                        selectionSet: {
                          kind: 'SelectionSet',
                          selections: [
                            { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'name' } },
                            { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                            {
                              kind: 'Field',
                              name: { kind: 'Name', value: 'progress' },
                              selectionSet: {
                                kind: 'SelectionSet',
                                selections: [
                                  { kind: 'Field', name: { kind: 'Name', value: 'total' } },
                                  { kind: 'Field', name: { kind: 'Name', value: 'completed' } },
                                  { kind: 'Field', name: { kind: 'Name', value: 'fractionDone' } },
                                ],
                              },
                            },
                          ],
                        },
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<BatchOverviewQuery, BatchOverviewQueryVariables>;
export const LlmUsageByModelDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'query',
      name: { kind: 'Name', value: 'LlmUsageByModel' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'LlmCallFilter' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'llmUsage' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'groupBy' },
                value: { kind: 'EnumValue', value: 'MODEL' },
              },
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'filter' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'key' } },
                { kind: 'Field', name: { kind: 'Name', value: 'calls' } },
                { kind: 'Field', name: { kind: 'Name', value: 'errors' } },
                { kind: 'Field', name: { kind: 'Name', value: 'totalTokens' } },
                { kind: 'Field', name: { kind: 'Name', value: 'costUsd' } },
                { kind: 'Field', name: { kind: 'Name', value: 'latencyMsP50' } },
                { kind: 'Field', name: { kind: 'Name', value: 'latencyMsP95' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<LlmUsageByModelQuery, LlmUsageByModelQueryVariables>;
export const StepStatusChangedDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'subscription',
      name: { kind: 'Name', value: 'StepStatusChanged' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'EventFilter' } } },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'String' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'stepStatusChanged' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'filter' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
              },
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'after' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'after' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'cursor' } },
                { kind: 'Field', name: { kind: 'Name', value: 'previousStatus' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'step' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'name' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'number' } },
                    ],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runGroupProgress' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'total' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'completed' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'fractionDone' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<StepStatusChangedSubscription, StepStatusChangedSubscriptionVariables>;
export const ClaimNextStepDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'ClaimNextStep' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ClaimStepInput' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'claimNextStep' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [{ kind: 'FragmentSpread', name: { kind: 'Name', value: 'ClaimedStepFields' } }],
            },
          },
        ],
      },
    },
    {
      kind: 'FragmentDefinition',
      name: { kind: 'Name', value: 'ClaimedStepFields' },
      typeCondition: { kind: 'NamedType', name: { kind: 'Name', value: 'Step' } },
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          { kind: 'Field', name: { kind: 'Name', value: 'id' } },
          { kind: 'Field', name: { kind: 'Name', value: 'number' } },
          { kind: 'Field', name: { kind: 'Name', value: 'name' } },
          { kind: 'Field', name: { kind: 'Name', value: 'type' } },
          { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
          { kind: 'Field', name: { kind: 'Name', value: 'maxRetries' } },
          { kind: 'Field', name: { kind: 'Name', value: 'version' } },
          { kind: 'Field', name: { kind: 'Name', value: 'statusMessage' } },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'config' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [{ kind: 'Field', name: { kind: 'Name', value: 'config' } }],
            },
          },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'run' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'params' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runGroup' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [{ kind: 'Field', name: { kind: 'Name', value: 'id' } }],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'document' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'hash' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'mimeType' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<ClaimNextStepMutation, ClaimNextStepMutationVariables>;
export const ClaimedStepDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'subscription',
      name: { kind: 'Name', value: 'ClaimedStep' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ClaimStepInput' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'claimedStep' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [{ kind: 'FragmentSpread', name: { kind: 'Name', value: 'ClaimedStepFields' } }],
            },
          },
        ],
      },
    },
    {
      kind: 'FragmentDefinition',
      name: { kind: 'Name', value: 'ClaimedStepFields' },
      typeCondition: { kind: 'NamedType', name: { kind: 'Name', value: 'Step' } },
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          { kind: 'Field', name: { kind: 'Name', value: 'id' } },
          { kind: 'Field', name: { kind: 'Name', value: 'number' } },
          { kind: 'Field', name: { kind: 'Name', value: 'name' } },
          { kind: 'Field', name: { kind: 'Name', value: 'type' } },
          { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
          { kind: 'Field', name: { kind: 'Name', value: 'maxRetries' } },
          { kind: 'Field', name: { kind: 'Name', value: 'version' } },
          { kind: 'Field', name: { kind: 'Name', value: 'statusMessage' } },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'config' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [{ kind: 'Field', name: { kind: 'Name', value: 'config' } }],
            },
          },
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'run' },
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'params' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'runGroup' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [{ kind: 'Field', name: { kind: 'Name', value: 'id' } }],
                  },
                },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'document' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'hash' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'mimeType' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<ClaimedStepSubscription, ClaimedStepSubscriptionVariables>;
export const ReportStepStatusDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'ReportStepStatus' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: {
            kind: 'NonNullType',
            type: { kind: 'NamedType', name: { kind: 'Name', value: 'UpdateStepStatusInput' } },
          },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'updateStepStatus' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
                { kind: 'Field', name: { kind: 'Name', value: 'version' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<ReportStepStatusMutation, ReportStepStatusMutationVariables>;
export const ReleaseStepDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'ReleaseStep' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ReleaseStepInput' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'releaseStep' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                { kind: 'Field', name: { kind: 'Name', value: 'retry' } },
                { kind: 'Field', name: { kind: 'Name', value: 'version' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<ReleaseStepMutation, ReleaseStepMutationVariables>;
export const WorkerHeartbeatDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'WorkerHeartbeat' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'projectId' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'workerCheckin' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'id' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'id' } },
              },
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'projectId' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'projectId' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'leaseSeconds' } },
                {
                  kind: 'Field',
                  name: { kind: 'Name', value: 'activeSteps' },
                  selectionSet: {
                    kind: 'SelectionSet',
                    selections: [
                      { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                      { kind: 'Field', name: { kind: 'Name', value: 'version' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<WorkerHeartbeatMutation, WorkerHeartbeatMutationVariables>;
export const RecordStepLlmCallDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'RecordStepLlmCall' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: {
            kind: 'NonNullType',
            type: { kind: 'NamedType', name: { kind: 'Name', value: 'RecordLlmCallInput' } },
          },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'recordLlmCall' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'costUsd' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<RecordStepLlmCallMutation, RecordStepLlmCallMutationVariables>;
export const StoreStepFileDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'mutation',
      name: { kind: 'Name', value: 'StoreStepFile' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'StoreFileInput' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'storeFile' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'input' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'input' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'id' } },
                { kind: 'Field', name: { kind: 'Name', value: 'path' } },
                { kind: 'Field', name: { kind: 'Name', value: 'sizeBytes' } },
                { kind: 'Field', name: { kind: 'Name', value: 'checksum' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<StoreStepFileMutation, StoreStepFileMutationVariables>;
export const WorkAvailableDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'subscription',
      name: { kind: 'Name', value: 'WorkAvailable' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'WorkFilter' } } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'workAvailable' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'filter' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'filter' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'reason' } },
                { kind: 'Field', name: { kind: 'Name', value: 'runGroupId' } },
                { kind: 'Field', name: { kind: 'Name', value: 'stepTypes' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<WorkAvailableSubscription, WorkAvailableSubscriptionVariables>;
export const StepsRevokedDocument = {
  kind: 'Document',
  definitions: [
    {
      kind: 'OperationDefinition',
      operation: 'subscription',
      name: { kind: 'Name', value: 'StepsRevoked' },
      variableDefinitions: [
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'workerId' } },
          type: { kind: 'NonNullType', type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } } },
        },
        {
          kind: 'VariableDefinition',
          variable: { kind: 'Variable', name: { kind: 'Name', value: 'projectId' } },
          type: { kind: 'NamedType', name: { kind: 'Name', value: 'ID' } },
        },
      ],
      selectionSet: {
        kind: 'SelectionSet',
        selections: [
          {
            kind: 'Field',
            name: { kind: 'Name', value: 'stepsRevoked' },
            arguments: [
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'workerId' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'workerId' } },
              },
              {
                kind: 'Argument',
                name: { kind: 'Name', value: 'projectId' },
                value: { kind: 'Variable', name: { kind: 'Name', value: 'projectId' } },
              },
            ],
            selectionSet: {
              kind: 'SelectionSet',
              selections: [
                { kind: 'Field', name: { kind: 'Name', value: 'stepId' } },
                { kind: 'Field', name: { kind: 'Name', value: 'reason' } },
                { kind: 'Field', name: { kind: 'Name', value: 'status' } },
                { kind: 'Field', name: { kind: 'Name', value: 'statusMessage' } },
              ],
            },
          },
        ],
      },
    },
  ],
} as unknown as DocumentNode<StepsRevokedSubscription, StepsRevokedSubscriptionVariables>;
