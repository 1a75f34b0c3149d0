import type { RunStatus } from '../__generated__/resolvers-types';
import { Model } from 'objection';

/** The base of every model: one class per table, the schema itself owned by migrations/. */
export abstract class BaseModel extends Model {
  static override get useLimitInFirst(): boolean {
    return true;
  }

  /** Every column of the table (snake_case): what loaders select from and tests check. */
  static columns: readonly string[] = [];
}

/** The schema's RunStatus enum (generated), the type of every status column. */
export type RunStatusValue = RunStatus;
export type StepTypeValue = 'INGEST' | 'VALIDATE' | 'PARSE' | 'CHUNK' | 'EMBED' | 'STORE' | 'ENRICH' | 'ROUTE';
export type JsonObject = Record<string, unknown>;

/** The status columns that project, run group, run and step share. */
export interface StatusFields {
  status: RunStatusValue;
  statusMessage: string | null;
  statusMeta: JsonObject;
  statusAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
}
