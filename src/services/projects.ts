import { randomBytes } from 'node:crypto';
import type { CreateApiKeyInput, CreateProjectInput } from '../__generated__/resolvers-types';
import { transaction } from '../db/transaction';
import { badUserInput, forbidden } from '../errors';
import type * as G from '../graphql/mappers';
import { ApiKey, Project } from '../models';
import { hashSecret } from '../auth/principal';
import type { ServiceContext } from './context';
import { rowInScope } from './rowInScope';

export async function createProject(ctx: ServiceContext, input: CreateProjectInput): Promise<G.Project> {
  if (ctx.scope.projectIds !== null) throw forbidden('only an admin key for every project can create projects');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(input.slug)) {
    throw badUserInput(
      'slug must be lowercase letters, digits and dashes (at most 63), starting with a letter or digit',
      'slug',
    );
  }
  return transaction(ctx.db, async (trx) =>
    Project.query(trx).insert({ slug: input.slug, name: input.name }).returning('*'),
  );
}

export async function createApiKey(ctx: ServiceContext, input: CreateApiKeyInput): Promise<G.CreateApiKeyPayload> {
  if (input.projectId == null && ctx.scope.projectIds !== null) {
    throw forbidden('only an admin key for every project can create keys for every project');
  }
  if (input.projectId == null && input.role !== 'ADMIN') {
    throw badUserInput('a key without projectId is an admin key for every project: role must be ADMIN', 'role');
  }
  const expiresAt = input.expiresAt == null ? null : new Date(input.expiresAt as Date | string);
  if (expiresAt !== null && !(expiresAt.getTime() > Date.now())) {
    throw badUserInput('expiresAt must lie in the future', 'expiresAt');
  }
  return transaction(ctx.db, async (trx) => {
    if (input.projectId != null) await rowInScope(trx, Project, input.projectId, ctx.scope, { field: 'projectId' });
    // 32 random bytes, shown once; only their hash is stored.
    const secret = `rl_${randomBytes(32).toString('base64url')}`;
    const apiKey = await ApiKey.query(trx)
      .insert({ projectId: input.projectId ?? null, role: input.role, secretHash: hashSecret(secret), expiresAt })
      .returning('*');
    return { apiKey, secret };
  });
}

export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<G.ApiKey> {
  return transaction(ctx.db, async (trx) => {
    // A key without project is outside every project's scope: only an all-projects admin sees it.
    const key = await rowInScope(trx, ApiKey, id, ctx.scope, { lock: true });
    if (key.revokedAt) return key;
    const [revoked] = await ApiKey.query(trx).patch({ revokedAt: trx.fn.now() }).where({ id }).returning('*');
    return revoked!;
  });
}
