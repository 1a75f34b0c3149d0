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

/** The statuses nothing leaves: the one list, for code (isFinal) and for SQL (FINAL_SQL). */
const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly RunStatusValue[];

/** FINAL_STATUSES as an SQL list, for `status in ${FINAL_SQL}`. */
export const FINAL_SQL = `(${FINAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;

export function isFinal(status: RunStatusValue): boolean {
  return (FINAL_STATUSES as readonly RunStatusValue[]).includes(status);
}
