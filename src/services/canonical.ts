import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** "sha256-" + 64 hex: the format of document hashes and file checksums. */
export function sha256(data: string | Buffer): string {
  return 'sha256-' + createHash('sha256').update(data).digest('hex');
}

/**
 * What identifies a step configuration (step_config.content_hash): the step's type, its config
 * and the configs of the group's steps up to it (by step name), key order aside.
 */
export function stepConfigHash(type: string, config: unknown, cumulativeConfig: Record<string, unknown>): string {
  return sha256(canonicalJson([type, config, cumulativeConfig]));
}
