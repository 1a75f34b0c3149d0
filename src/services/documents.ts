import type { Knex } from 'knex';
import type { DocumentInput } from '../__generated__/resolvers-types';
import { rawRows } from '../db/raw';
import { badUserInput } from '../errors';
import type * as G from '../graphql/mappers';
import { HASH_PATTERN } from '../graphql/ids';
import { sha256 } from './canonical';
import { failpoint } from './failpoints';
import { assertSize, decodeContent, insertFiles } from './files';
import { jsonObject } from './json';

export interface PreparedDocument {
  source: string;
  uri: string;
  hash: string;
  content: Buffer | null;
  mimeType: string;
  fileSize: number | null;
  meta: string;
}

/** Checks the whole input before any SQL: exactly one of hash or content, no URI twice. */
export function prepareDocuments(
  documents: readonly DocumentInput[],
  defaultSource: string,
  maxFileBytes: number,
): PreparedDocument[] {
  const seen = new Set<string>();
  return documents.map((d, i) => {
    const field = `documents[${i}]`;
    if ((d.hash == null) === (d.content == null)) {
      throw badUserInput(`${field}: give exactly one of hash or content`, `${field}.hash`);
    }
    if (d.uri.length === 0) throw badUserInput(`${field}.uri must not be empty`, `${field}.uri`);
    const source = d.source ?? defaultSource;
    const key = JSON.stringify([source, d.uri]);
    if (seen.has(key))
      throw badUserInput(`${field}: the URI ${d.uri} (source ${source}) appears twice in the input`, `${field}.uri`);
    seen.add(key);
    const content = d.content == null ? null : decodeContent(d.content, 'BASE64', `${field}.content`);
    if (content) assertSize(content.length, maxFileBytes, `${field}.content`, 'MAX_FILE_BYTES');
    const hash = content ? sha256(content) : d.hash!;
    if (!HASH_PATTERN.test(hash)) {
      throw badUserInput(`${field}.hash must be "sha256-" followed by 64 lowercase hex digits`, `${field}.hash`);
    }
    return {
      source,
      uri: d.uri,
      hash,
      content,
      mimeType: d.mimeType,
      fileSize: d.fileSize ?? content?.length ?? null,
      meta: jsonObject(d.meta, `${field}.meta`),
    };
  });
}

export interface WrittenDocuments {
  created: number;
  updated: number;
  unchanged: number;
  /** In input order. */
  uris: G.DocumentUri[];
}

/**
 * Documents, their files, URIs and URI versions, parents first, inside the caller's
 * transaction. A fixed number of statements however many documents.
 */
export async function writeDocuments(
  trx: Knex.Transaction,
  projectId: string,
  batchId: string,
  documents: PreparedDocument[],
): Promise<WrittenDocuments> {
  if (documents.length === 0) return { created: 0, updated: 0, unchanged: 0, uris: [] };

  // Same bytes = one document: the first mention of a hash describes it.
  const byHash = new Map<string, PreparedDocument>();
  for (const d of documents) if (!byHash.has(d.hash)) byHash.set(d.hash, d);
  const docRows = await rawRows<{ id: string; hash: string; inserted: boolean }>(
    trx,
    `/* writeDocuments: documents */ insert into document (project_id, hash, mime_type, file_size, meta)
     select :projectId, d.hash, d.mime_type, d.file_size, d.meta
     from jsonb_to_recordset(:documents::jsonb) as d(hash text, mime_type text, file_size bigint, meta jsonb)
     on conflict (project_id, hash) do update set hash = excluded.hash
     returning id, hash, (xmax = 0) as inserted`,
    {
      projectId,
      documents: JSON.stringify(
        [...byHash.values()].map((d) => ({
          hash: d.hash,
          mime_type: d.mimeType,
          file_size: d.fileSize,
          meta: JSON.parse(d.meta),
        })),
      ),
    },
  );
  const documentIdOf = new Map(docRows.map((r) => [r.hash, r.id]));

  const newContent = docRows.filter((r) => r.inserted && byHash.get(r.hash)!.content);
  await insertFiles(
    trx,
    newContent.map((r) => ({
      projectId,
      owner: { documentId: r.id },
      kind: 'DOCUMENT' as const,
      content: byHash.get(r.hash)!.content!,
      mimeType: byHash.get(r.hash)!.mimeType,
      name: 'original',
    })),
  );

  const keyOf = (source: string, uri: string) => JSON.stringify([source, uri]);
  const existing = await rawRows<G.DocumentUri>(
    trx,
    `/* writeDocuments: lock existing uris */ select u.* from document_uri u
     join jsonb_to_recordset(:uris::jsonb) as x(source text, uri text) on x.source = u.source and x.uri = u.uri
     where u.project_id = :projectId for update of u`,
    { uris: JSON.stringify(documents.map((d) => ({ source: d.source, uri: d.uri }))), projectId },
  );
  const existingByKey = new Map(existing.map((u) => [keyOf(u.source, u.uri), u]));

  const fresh: PreparedDocument[] = [];
  const changed: { uri: G.DocumentUri; doc: PreparedDocument }[] = [];
  for (const d of documents) {
    const current = existingByKey.get(keyOf(d.source, d.uri));
    if (!current) fresh.push(d);
    else if (current.documentId !== documentIdOf.get(d.hash)) changed.push({ uri: current, doc: d });
  }

  const inserted = fresh.length
    ? await rawRows<G.DocumentUri>(
        trx,
        `/* writeDocuments: new uris */ insert into document_uri (project_id, document_id, source, uri, version, batch_id)
         select :projectId, x.document_id, x.source, x.uri, 1, :batchId
         from jsonb_to_recordset(:uris::jsonb) as x(document_id uuid, source text, uri text)
         returning *`,
        {
          projectId,
          batchId,
          uris: JSON.stringify(
            fresh.map((d) => ({ document_id: documentIdOf.get(d.hash), source: d.source, uri: d.uri })),
          ),
        },
      )
    : [];
  const updated = changed.length
    ? await rawRows<G.DocumentUri>(
        trx,
        `/* writeDocuments: changed uris */ update document_uri u
         set document_id = x.document_id, version = u.version + 1, batch_id = :batchId, updated_at = now()
         from jsonb_to_recordset(:uris::jsonb) as x(id uuid, document_id uuid)
         where u.id = x.id
         returning u.*`,
        {
          batchId,
          uris: JSON.stringify(changed.map((c) => ({ id: c.uri.id, document_id: documentIdOf.get(c.doc.hash) }))),
        },
      )
    : [];

  failpoint('writeDocuments.beforeVersions');
  const written = [...inserted, ...updated];
  const hashOfDocument = new Map(docRows.map((r) => [r.id, r.hash]));
  if (written.length) {
    await trx.raw(
      `/* writeDocuments: uri versions */ insert into document_uri_version (document_uri_id, version, hash, action, batch_id)
       select x.document_uri_id, x.version, x.hash, x.action, :batchId
       from jsonb_to_recordset(:versions::jsonb) as x(document_uri_id uuid, version int, hash text, action text)`,
      {
        batchId,
        versions: JSON.stringify(
          written.map((u) => ({
            document_uri_id: u.id,
            version: u.version,
            hash: hashOfDocument.get(u.documentId),
            action: u.version === 1 ? 'CREATED' : 'UPDATED',
          })),
        ),
      },
    );
  }

  const finalByKey = new Map([...existingByKey, ...written.map((u) => [keyOf(u.source, u.uri), u] as const)]);
  return {
    created: inserted.length,
    updated: updated.length,
    unchanged: documents.length - inserted.length - updated.length,
    uris: documents.map((d) => finalByKey.get(keyOf(d.source, d.uri))!),
  };
}
