import type { Scope } from '../auth/scope';
import type { Db } from '../db/knex';
import type { EventsSink } from './lifecycleEvents';

export interface ServiceConfig {
  /** @default 50000 */
  maxRunsPerGroup: number;
  /** @default 600 */
  workerLeaseSeconds: number;
  /** @default 5 MiB */
  maxFileBytes: number;
  /** @default 1 MiB */
  maxPromptBytes: number;
  /** Stored names, messages and JSON (services/inputLimits.ts); unset: the defaults there. */
  maxNameBytes?: number;
  maxTextBytes?: number;
  maxJsonBytes?: number;
  maxJsonDepth?: number;
}

/** What every service function receives: where to write, and whose data the caller may touch. */
export interface ServiceContext extends EventsSink {
  db: Db;
  scope: Scope;
  config: ServiceConfig;
}
