// What resolvers receive for each mapped GraphQL type (see codegen.ts). Rows are plain data
// shaped like the models: loaders return knex rows, services may return model instances.
import type { ModelObject } from 'objection';
import type * as M from '../models';
import type { RunStatusValue } from '../models';
import type { Connection, Edge } from './connection';

export type Project = ModelObject<M.Project>;
export type Batch = ModelObject<M.Batch> & { duration?: number | null };
export type Document = ModelObject<M.Document>;
export type DocumentUri = ModelObject<M.DocumentUri>;
export type DocumentUriVersion = ModelObject<M.DocumentUriVersion>;
export type StepConfig = ModelObject<M.StepConfig>;
export type RunGroup = ModelObject<M.RunGroup> & {
  duration?: number | null;
  /** Its runs by status, when the row was read for a request selecting progress (loaders/tables.ts). */
  statusCounts?: Partial<Record<RunStatusValue, number>>;
};
export type Run = ModelObject<M.Run> & { duration?: number | null };
export type Step = ModelObject<M.Step> & { duration?: number | null };
export type LifecycleEvent = ModelObject<M.LifecycleEvent>;
export type LlmCall = ModelObject<M.LlmCall>;
export type StoredFile = Omit<ModelObject<M.StoredFile>, 'content'>;
export type Worker = ModelObject<M.Worker>;
export type ApiKey = ModelObject<M.ApiKey>;

/** Run counts by status of one run group. */
export interface RunProgress {
  total: number;
  pending: number;
  running: number;
  completed: number;
  error: number;
  failed: number;
  cancelled: number;
}

/** Resolved field by field, so each count is computed only when asked for. */
export interface BatchStats {
  batchId: string;
}

export interface LlmUsage {
  key: string;
  calls: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
  latencyMsP50: number | null;
  latencyMsP95: number | null;
}

export interface CreateApiKeyPayload {
  apiKey: ApiKey;
  secret: string;
}

export interface AddDocumentsPayload {
  batch: Batch;
  created: number;
  updated: number;
  unchanged: number;
  uris: DocumentUri[];
}

export interface StepStatusEvent {
  event: LifecycleEvent;
}

export type ProjectConnection = Connection<Project>;
export type BatchConnection = Connection<Batch>;
export type DocumentUriConnection = Connection<DocumentUri>;
export type RunGroupConnection = Connection<RunGroup>;
export type RunConnection = Connection<Run>;
export type LlmCallConnection = Connection<LlmCall>;
export type LifecycleEventConnection = Connection<LifecycleEvent>;

export type ProjectEdge = Edge<Project>;
export type BatchEdge = Edge<Batch>;
export type DocumentUriEdge = Edge<DocumentUri>;
export type RunGroupEdge = Edge<RunGroup>;
export type RunEdge = Edge<Run>;
export type LlmCallEdge = Edge<LlmCall>;
export type LifecycleEventEdge = Edge<LifecycleEvent>;
