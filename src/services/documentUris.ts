import type { DeleteDocumentUriInput } from '../__generated__/resolvers-types';
import { scopeTo } from '../auth/scope';
import { transaction } from '../db/transaction';
import { notFound } from '../errors';
import { assertUuid } from '../graphql/ids';
import { Document, DocumentUri } from '../models';
import type { ServiceContext } from './context';
import { countRunDependents, deleteRunsOf, deleteStats, type DeleteStats } from './runGroups';
import { settleGroups } from './rollups';

/**
 * Deletes a URI. Its document (with files, runs, steps, events and LLM calls) goes too only when
 * no other URI points at it; otherwise only the URI and its history. With dryRun, only counts.
 */
export async function deleteDocumentUri(
  ctx: ServiceContext,
  input: DeleteDocumentUriInput,
  dryRun: boolean,
): Promise<DeleteStats> {
  const projectId = assertUuid(input.projectId, 'projectId');
  return transaction(
    ctx.db,
    async (trx) => {
      const qb = DocumentUri.query(trx).findOne({ projectId, source: input.source, uri: input.uri }).forUpdate();
      const uri = await scopeTo(qb, 'document_uri.projectId', ctx.scope);
      if (!uri) throw notFound('DocumentUri', `${input.source}:${input.uri}`);

      // Lock the document so a concurrent delete of its other URI cannot leave it orphaned.
      await Document.query(trx).findById(uri.documentId).forUpdate();
      const others = await trx('document_uri')
        .where({ documentId: uri.documentId })
        .whereNot({ id: uri.id })
        .count({ n: '*' })
        .first();
      if (Number((others as { n: number }).n) > 0) {
        if (!dryRun) await DocumentUri.query(trx).deleteById(uri.id);
        return deleteStats(dryRun, { deletedDocumentUris: 1 });
      }

      const runs = await countRunDependents(trx, 'select id from run where document_id = :documentId', {
        documentId: uri.documentId,
      });
      const documentFiles = await trx('stored_file').where({ documentId: uri.documentId }).count({ n: '*' }).first();
      const stats = deleteStats(dryRun, {
        deletedRuns: runs.runs,
        deletedSteps: runs.steps,
        deletedEvents: runs.events,
        deletedLlmCalls: runs.llmCalls,
        deletedFiles: runs.files + Number((documentFiles as { n: number }).n),
        deletedDocumentUris: 1,
        deletedDocuments: 1,
      });
      if (!dryRun) {
        // Runs (children first: lock order), then the groups they leave behind recomputed from the
        // runs that remain: a group whose other runs are all final closes now, with GROUP_END.
        const groups = (await trx('run').distinct('runGroupId').where({ documentId: uri.documentId })).map(
          (r: { runGroupId: string }) => r.runGroupId,
        );
        await deleteRunsOf(trx, 'select id from run where document_id = :documentId', { documentId: uri.documentId });
        await settleGroups(trx, groups, ctx, 'the remaining runs are final (a run was deleted with its document)');
        // Foreign keys cascade from the document to its URIs (and their history) and files.
        await Document.query(trx).deleteById(uri.documentId);
      }
      return stats;
    },
    { bulk: true },
  );
}
