// The README's rollup rules, written again for the tests so that they do not share code with
// the server they check.
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** A run's status from its steps' statuses. */
export function runRule(steps: string[]): string {
  if (steps.includes('FAILED')) return 'FAILED';
  if (steps.includes('CANCELLED')) return 'CANCELLED';
  if (steps.every((x) => x === 'COMPLETED')) return 'COMPLETED';
  if (steps.every((x) => x === 'PENDING')) return 'PENDING';
  return 'RUNNING';
}

/** A run group's status from its runs' statuses. */
export function groupRule(runs: string[]): string {
  if (runs.some((x) => !FINAL.has(x))) return runs.some((x) => x !== 'PENDING') ? 'RUNNING' : 'PENDING';
  if (runs.includes('FAILED')) return 'FAILED';
  if (runs.includes('CANCELLED') || runs.length === 0) return 'CANCELLED';
  return 'COMPLETED';
}
