import { badUserInput } from '../errors';
import type { ServiceConfig } from './context';

/** The largest value of each kind a write stores; defaults are those of an unset variable. */
export interface InputLimits {
  /** MAX_NAME_BYTES: names, sources, URIs, models, ids, keys. @default 2048 */
  nameBytes: number;
  /** MAX_TEXT_BYTES: status and error messages. @default 16384 */
  textBytes: number;
  /** MAX_JSON_BYTES: one JSON value (meta, params, config, usageDetails) as stored. @default 65536 */
  jsonBytes: number;
  /** MAX_JSON_DEPTH: nesting of one JSON value. @default 32 */
  jsonDepth: number;
}

export function inputLimits(config: Partial<ServiceConfig>): InputLimits {
  return {
    nameBytes: config.maxNameBytes ?? 2048,
    textBytes: config.maxTextBytes ?? 16 * 1024,
    jsonBytes: config.maxJsonBytes ?? 64 * 1024,
    jsonDepth: config.maxJsonDepth ?? 32,
  };
}

/** Inputs holding a JSON value (the JSON scalar): checked for depth and size, not walked further. */
const JSON_FIELDS = new Set(['meta', 'params', 'config', 'usageDetails']);
/** Free text longer than a name. */
const TEXT_FIELDS = new Set(['message', 'errorMessage']);
/** Bytes with limits of their own (MAX_FILE_BYTES, MAX_PROMPT_BYTES), checked by their services. */
const BULK_FIELDS = new Set(['content', 'prompt', 'response']);

/** Nesting of a JSON value, counted without recursion (a 5,000-level value must not overflow the stack). */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>))
      stack.push([child, depth + 1]);
  }
  return false;
}

function checkJson(value: unknown, field: string, limits: InputLimits): void {
  if (value === null || typeof value !== 'object') return;
  if (depthExceeds(value, limits.jsonDepth))
    throw badUserInput(`${field} is nested deeper than ${limits.jsonDepth} levels (MAX_JSON_DEPTH)`, field);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.jsonBytes)
    throw badUserInput(`${field} is ${bytes} bytes of JSON; the limit is ${limits.jsonBytes} (MAX_JSON_BYTES)`, field);
}

function checkString(value: string, field: string, key: string, limits: InputLimits): void {
  const [max, variable] = TEXT_FIELDS.has(key)
    ? [limits.textBytes, 'MAX_TEXT_BYTES']
    : [limits.nameBytes, 'MAX_NAME_BYTES'];
  // Cheap first: a string has at most 3 bytes per UTF-16 unit.
  if (value.length * 3 <= max) return;
  const bytes = Buffer.byteLength(value);
  if (bytes > max) throw badUserInput(`${field} is ${bytes} bytes; the limit is ${max} (${variable})`, field);
}

/**
 * Every string and JSON value of a mutation's arguments within its limit, before anything is
 * written: a 1 MB batch name or a 5,000-level meta is BAD_USER_INPUT, not a stored row (or a
 * stack overflow). Walks the coerced arguments without recursion.
 */
export function checkInputSizes(args: Record<string, unknown>, limits: InputLimits): void {
  const stack: [unknown, string, string][] = Object.entries(args).map(([k, v]) => [v, k, k]);
  while (stack.length) {
    const [value, path, key] = stack.pop()!;
    if (value === null || value === undefined) continue;
    if (JSON_FIELDS.has(key)) {
      checkJson(value, path, limits);
    } else if (typeof value === 'string') {
      if (!BULK_FIELDS.has(key)) checkString(value, path, key, limits);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}[${i}]`, key]));
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) stack.push([v, `${path}.${k}`, k]);
    }
  }
}
