import type { Knex } from 'knex';
import type { StoreFileInput } from '../__generated__/resolvers-types';
import { rawRows } from '../db/raw';
import { transaction } from '../db/transaction';
import { badUserInput } from '../errors';
import type * as G from '../graphql/mappers';
import { tables } from '../loaders/tables';
import { Document, Run, Step } from '../models';
import type { StoredFileKindValue } from '../models/StoredFile';
import { sha256 } from './canonical';
import type { ServiceContext } from './context';
import { rowInScope } from './rowInScope';

export type FileOwner = { documentId: string } | { runId: string } | { stepId: string } | { llmCallId: string };

const OWNER_PREFIX: Record<string, string> = {
  documentId: 'documents',
  runId: 'runs',
  stepId: 'steps',
  llmCallId: 'llm-calls',
};

export interface NewFile {
  projectId: string;
  owner: FileOwner;
  kind: StoredFileKindValue;
  content: Buffer;
  mimeType?: string | null;
  /** The file name under the owner's folder; default: `<kind>/<file id>`. */
  name?: string;
}

/**
 * Inserts files under their owners' own ids: `<owner kind>/<owner id>/<name>`. When no name is
 * given, the path ends with the file's id, which the database makes in the same statement.
 */
export async function insertFiles(trx: Knex.Transaction, files: NewFile[]): Promise<G.StoredFile[]> {
  if (files.length === 0) return [];
  const rows = files.map((f) => {
    const [ownerColumn, ownerId] = Object.entries(f.owner)[0] as [string, string];
    const folder = `${OWNER_PREFIX[ownerColumn]}/${ownerId}/`;
    return {
      project_id: f.projectId,
      document_id: ownerColumn === 'documentId' ? ownerId : null,
      run_id: ownerColumn === 'runId' ? ownerId : null,
      step_id: ownerColumn === 'stepId' ? ownerId : null,
      llm_call_id: ownerColumn === 'llmCallId' ? ownerId : null,
      kind: f.kind,
      path: f.name === undefined ? null : folder + f.name,
      folder: folder + f.kind.toLowerCase().replace(/_/g, '-') + '/',
      mime_type: f.mimeType ?? null,
      size_bytes: f.content.length,
      checksum: sha256(f.content),
      content: f.content,
    };
  });
  // One statement for any number of files; ids come from gen_random_uuid() in the statement.
  return rawRows<G.StoredFile>(
    trx,
    `/* insertFiles */ insert into stored_file (id, project_id, document_id, run_id, step_id, llm_call_id, kind, path, mime_type, size_bytes, checksum, content)
     select x.id, x.project_id, x.document_id, x.run_id, x.step_id, x.llm_call_id, x.kind,
            coalesce(x.path, x.folder || x.id::text), x.mime_type, x.size_bytes, x.checksum, x.content
     from (
       -- A volatile function in a subquery runs once per row: one database-made id per file.
       select gen_random_uuid() as id, f.*, c.content
       from jsonb_to_recordset(:files::jsonb) as f(project_id uuid, document_id uuid, run_id uuid, step_id uuid, llm_call_id uuid,
              kind text, path text, folder text, mime_type text, size_bytes bigint, checksum text, content_index int)
       join unnest(:contents::bytea[]) with ordinality as c(content, n) on c.n = f.content_index
     ) x
     returning ${tables.storedFile
       .columns(trx)
       .filter((c): c is string => typeof c === 'string')
       .map((c) => c.replace('stored_file.', ''))
       .join(', ')}`,
    {
      files: JSON.stringify(rows.map(({ content: _c, ...r }, i) => ({ ...r, content_index: i + 1 }))),
      contents: rows.map((r) => r.content),
    },
  );
}

export function decodeContent(content: string, encoding: 'UTF8' | 'BASE64', field = 'content'): Buffer {
  if (encoding === 'UTF8') return Buffer.from(content, 'utf8');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(content) || content.length % 4 === 1) {
    throw badUserInput(`${field} is not valid base64`, field);
  }
  return Buffer.from(content, 'base64');
}

export async function storeFile(ctx: ServiceContext, input: StoreFileInput): Promise<G.StoredFile> {
  const owners = (['documentId', 'runId', 'stepId'] as const).filter((k) => input[k] != null);
  if (owners.length !== 1) throw badUserInput('give exactly one owner: documentId, runId or stepId', 'owner');
  const ownerKey = owners[0]!;
  const ownerId = input[ownerKey]!;
  const content = decodeContent(input.content, input.encoding ?? 'UTF8');
  assertSize(content.length, ctx.config.maxFileBytes, 'content', 'MAX_FILE_BYTES');
  return transaction(ctx.db, async (trx) => {
    const model = ownerKey === 'documentId' ? Document : ownerKey === 'runId' ? Run : Step;
    const owner = await rowInScope(trx, model, ownerId, ctx.scope, { field: ownerKey });
    const [file] = await insertFiles(trx, [
      {
        projectId: owner.projectId,
        owner: { [ownerKey]: ownerId } as FileOwner,
        kind: input.kind,
        content,
        mimeType: input.mimeType,
      },
    ]);
    return file!;
  });
}

/** A clear error for content over a configured limit. */
export function assertSize(bytes: number, limit: number, field: string, variable: string): void {
  if (bytes > limit) throw badUserInput(`${field} is ${bytes} bytes; the limit is ${limit} (${variable})`, field);
}
