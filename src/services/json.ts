import { badUserInput } from '../errors';
import type { JsonObject } from '../models';

/** A JSON input that must be an object (meta, params, config); null and undefined become {}. */
export function objectInput(value: unknown, field: string): JsonObject {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput(`${field} must be a JSON object`, field);
  return value as JsonObject;
}

/** The same, as JSON text for hand-written SQL (a model's jsonAttributes serialise their own). */
export function jsonObject(value: unknown, field: string): string {
  return JSON.stringify(objectInput(value, field));
}
