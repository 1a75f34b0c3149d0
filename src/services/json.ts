import { badUserInput } from '../errors';

/** A JSON input that must be an object (meta, params, config); null and undefined become {}. */
export function jsonObject(value: unknown, field: string): string {
  if (value === null || value === undefined) return '{}';
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput(`${field} must be a JSON object`, field);
  return JSON.stringify(value);
}
