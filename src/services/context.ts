import type { Scope } from '../auth/scope';
import type { Db } from '../db/knex';

export interface ServiceConfig {
  /** @default 50000 */
  maxRunsPerGroup: number;
  /** @default 600 */
  workerLeaseSeconds: number;
  /** @default 5 MiB */
  maxFileBytes: number;
  /** @default 1 MiB */
  maxPromptBytes: number;
  /** NOTIFY on every write with events (off: subscribers see events within the bus's poll interval). @default true */
  liveEvents: boolean;
}

/** What every service function receives: where to write, and whose data the caller may touch. */
export interface ServiceContext {
  db: Db;
  scope: Scope;
  config: ServiceConfig;
}
