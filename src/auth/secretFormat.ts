/**
 * What a secret can look like: the one rule `Authorization: Bearer <secret>` parsing and the
 * ADMIN_API_KEY check at start-up share, so a key start-up accepts is a key a request can match.
 */
export const MAX_SECRET_LENGTH = 512;

/** At most MAX_SECRET_LENGTH characters, none of them whitespace. */
export function isWellFormedSecret(secret: string): boolean {
  return secret.length >= 1 && secret.length <= MAX_SECRET_LENGTH && !/\s/.test(secret);
}
