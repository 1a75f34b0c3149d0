import type { AddDocumentsInput, CreateBatchInput } from '../__generated__/resolvers-types';
import { transaction } from '../db/transaction';
import { conflict } from '../errors';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import { Batch, DocumentUri, Project } from '../models';
import type { ServiceContext } from './context';
import { prepareDocuments, writeDocuments } from './documents';
import { idempotent } from './idempotency';
import { objectInput } from './json';
import { rowInScope } from './rowInScope';
import type { Knex } from 'knex';

function loadBatch(trx: Knex.Transaction, id: string): Promise<G.Batch> {
  return trx('batch').select(tables.batch.columns(trx)).where('batch.id', id).first();
}

/** The batch, then its documents, URIs and URI versions: one transaction. */
export async function createBatch(ctx: ServiceContext, input: CreateBatchInput): Promise<G.Batch> {
  const documents = prepareDocuments(input.documents ?? [], input.source, ctx.config.maxFileBytes);
  const params = objectInput(input.params, 'params');
  return transaction(ctx.db, async (trx) => {
    const project = await rowInScope(trx, Project, input.projectId, ctx.scope, { field: 'projectId' });
    return idempotent(
      trx,
      { projectId: project.id, operation: 'createBatch', key: input.idempotencyKey, input },
      async () => {
        const batch = await Batch.query(trx)
          .insert({ projectId: project.id, name: input.name, source: input.source, params })
          .returning('id');
        await writeDocuments(trx, project.id, batch.id, documents);
        return loadBatch(trx, batch.id);
      },
      { encode: (b) => ({ id: b.id }), decode: ({ id }: { id: string }) => loadBatch(trx, id) },
    );
  });
}

export async function addDocuments(ctx: ServiceContext, input: AddDocumentsInput): Promise<G.AddDocumentsPayload> {
  return transaction(ctx.db, async (trx) => {
    const batch = await rowInScope(trx, Batch, input.batchId, ctx.scope, { field: 'batchId', lock: true });
    const documents = prepareDocuments(input.documents, batch.source, ctx.config.maxFileBytes);
    return idempotent(
      trx,
      { projectId: batch.projectId, operation: 'addDocuments', key: input.idempotencyKey, input },
      async () => {
        if (batch.completedAt) throw conflict(`Batch ${batch.id} is completed; documents can no longer be added`);
        const written = await writeDocuments(trx, batch.projectId, batch.id, documents);
        return { batch: await loadBatch(trx, batch.id), ...written };
      },
      {
        encode: (p) => ({
          created: p.created,
          updated: p.updated,
          unchanged: p.unchanged,
          uriIds: p.uris.map((u) => u.id),
        }),
        decode: async (stored: { created: number; updated: number; unchanged: number; uriIds: string[] }) => {
          const uris = await DocumentUri.query(trx).findByIds(stored.uriIds);
          const byId = new Map(uris.map((u) => [u.id, u]));
          // A URI of the first result deleted since (deleteDocumentUri): the replay cannot be given.
          if (stored.uriIds.some((id) => !byId.has(id))) return null;
          return {
            batch: await loadBatch(trx, batch.id),
            created: stored.created,
            updated: stored.updated,
            unchanged: stored.unchanged,
            uris: stored.uriIds.map((id) => byId.get(id)!),
          };
        },
      },
    );
  });
}

/** Sets completedAt once; completing again returns the batch unchanged. */
export async function completeBatch(ctx: ServiceContext, id: string): Promise<G.Batch> {
  return transaction(ctx.db, async (trx) => {
    const batch = await rowInScope(trx, Batch, id, ctx.scope, { lock: true });
    if (!batch.completedAt) await Batch.query(trx).findById(id).patch({ completedAt: trx.fn.now() });
    return loadBatch(trx, id);
  });
}
