import type { RunStatusValue } from '../models';

/** Which step statuses may follow which (the RunStatus enum's description in schema/schema.graphql). */
const NEXT: Record<RunStatusValue, readonly RunStatusValue[]> = {
  PENDING: ['RUNNING', 'CANCELLED'],
  RUNNING: ['COMPLETED', 'ERROR', 'FAILED', 'CANCELLED'],
  // ERROR means "will be retried": claimed again (RUNNING), or given up on.
  ERROR: ['RUNNING', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function canMove(from: RunStatusValue, to: RunStatusValue): boolean {
  return NEXT[from].includes(to);
}

/**
 * A reported failure: `retry` counts failed attempts, and a step may be retried `maxRetries`
 * times. ERROR (claimable again) while retries are left, FAILED after that.
 */
export function afterFailure(retry: number, maxRetries: number): { status: RunStatusValue; retry: number } {
  const next = retry + 1;
  return { status: next > maxRetries ? 'FAILED' : 'ERROR', retry: next };
}

const STATUSES = Object.keys(NEXT) as RunStatusValue[];

/** The statuses nothing leaves (no next status): the one list, for code and for SQL. */
const FINAL_STATUSES = STATUSES.filter((s) => NEXT[s].length === 0);

export function isFinal(status: RunStatusValue): boolean {
  return FINAL_STATUSES.includes(status);
}

const sqlList = (statuses: readonly RunStatusValue[]) => `(${statuses.map((s) => `'${s}'`).join(', ')})`;

/** For `status in ${FINAL_SQL}`. */
export const FINAL_SQL = sqlList(FINAL_STATUSES);
/** Not final yet: an explicit list, so that `status in ${OPEN_SQL}` probes a (…, status) index. */
export const OPEN_SQL = sqlList(STATUSES.filter((s) => !isFinal(s)));
/** Every status but PENDING: something has happened. */
export const STARTED_SQL = sqlList(STATUSES.filter((s) => s !== 'PENDING'));
