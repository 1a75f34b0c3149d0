import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { RoleValue } from '../models/ApiKey';
import { isWellFormedSecret } from './secretFormat';

/** Who is calling: the API key's role and its project (null: every project). */
export interface Principal {
  keyId: string | null;
  role: RoleValue;
  projectId: string | null;
}

const RANK: Record<RoleValue, number> = { READER: 1, WRITER: 2, ADMIN: 3 };

export function hasRole(principal: Principal, role: RoleValue): boolean {
  return RANK[principal.role] >= RANK[role];
}

/** The stored form of a secret: secrets are random, so a fast hash is enough. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** `Bearer <secret>` -> the secret; anything else -> null. */
export function bearerSecret(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match && isWellFormedSecret(match[1]!) ? match[1]! : null;
}

const adminDigests = new Map<string, Buffer>();

/** The admin key's digest, hashed once per process rather than once per request. */
function adminDigest(adminApiKey: string): Buffer {
  let digest = adminDigests.get(adminApiKey);
  if (!digest) {
    digest = createHash('sha256').update(adminApiKey).digest();
    adminDigests.set(adminApiKey, digest);
  }
  return digest;
}

/**
 * Secrets' digests by connection: a keep-alive client sends the same key with every request,
 * and a SHA-256 per request was a noticeable part of a small request's CPU (bench/PROFILE.md,
 * G2). The digest is reused when a connection's next secret is its last one, compared in
 * constant time (a proxy may carry several clients' keys over one connection).
 */
export class ConnectionDigests {
  private readonly last = new WeakMap<object, { secret: Buffer; digest: Buffer }>();

  digest(connection: object, secret: string): Buffer {
    const bytes = Buffer.from(secret);
    const last = this.last.get(connection);
    if (last && last.secret.length === bytes.length && timingSafeEqual(last.secret, bytes)) return last.digest;
    const digest = createHash('sha256').update(bytes).digest();
    this.last.set(connection, { secret: bytes, digest });
    return digest;
  }
}

/**
 * The principal of a secret, or null when it is unknown, revoked or expired. Looked up on every request,
 * so a revoked key fails at once. `digest`: the secret's SHA-256, when the caller has it already.
 */
export async function authenticate(
  db: Knex,
  secret: string | null,
  adminApiKey: string | undefined,
  digest?: Buffer,
): Promise<Principal | null> {
  if (secret === null) return null;
  // Compare digests: equal lengths, constant time, whatever the inputs.
  digest ??= createHash('sha256').update(secret).digest();
  if (adminApiKey !== undefined && timingSafeEqual(digest, adminDigest(adminApiKey)))
    return { keyId: null, role: 'ADMIN', projectId: null };
  const hash = digest.toString('hex');
  const key = (await db('api_key')
    .select('id', 'role', 'projectId', 'secretHash')
    .where({ secretHash: hash })
    .whereNull('revokedAt')
    .where((q) => {
      void q.whereNull('expiresAt').orWhereRaw('expires_at > now()');
    })
    .first()) as { id: string; role: RoleValue; projectId: string | null; secretHash: string } | undefined;
  if (!key || !timingSafeEqual(Buffer.from(key.secretHash), Buffer.from(hash))) return null;
  return { keyId: key.id, role: key.role, projectId: key.projectId };
}
