import { badUserInput } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are database uuids; anything else is refused before it reaches SQL. */
export function assertUuid(value: string, field: string): string {
  if (!UUID.test(value))
    throw badUserInput(`${field} must be a UUID, got ${JSON.stringify(value.slice(0, 60))}`, field);
  return value.toLowerCase();
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const HASH_PATTERN = /^sha256-[0-9a-f]{64}$/;

export function assertHash(value: string, field: string): string {
  if (!HASH_PATTERN.test(value)) {
    throw badUserInput(`${field} must be "sha256-" followed by 64 lowercase hex digits`, field);
  }
  return value;
}
