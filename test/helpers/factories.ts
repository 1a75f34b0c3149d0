// Builds test data straight into a test database (ids from the database, parents first), so
// read tests do not depend on the write path or on each other.
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/knex';

import { sha256 } from '../../src/services/canonical';

export { sha256 };
const unique = () => randomBytes(4).toString('hex');

export async function makeProject(db: Db, overrides: { slug?: string; name?: string } = {}) {
  const slug = overrides.slug ?? `p-${unique()}`;
  const [row] = await db('project')
    .insert({ slug, name: overrides.name ?? `Project ${slug}` })
    .returning('*');
  return row as { id: string; slug: string; name: string; createdAt: Date };
}

export async function makeBatch(db: Db, projectId: string, overrides: Record<string, unknown> = {}) {
  const [row] = await db('batch')
    .insert({ projectId, name: `batch-${unique()}`, source: 'fs', ...overrides })
    .returning('*');
  return row as { id: string; projectId: string; name: string; source: string };
}

/** Documents with one URI each (version 1, CREATED) in the batch. */
export async function makeDocuments(db: Db, projectId: string, batchId: string | null, count: number, source = 'fs') {
  if (count === 0) return [];
  const tag = unique();
  const docs = (await db('document')
    .insert(
      Array.from({ length: count }, (_, i) => ({
        projectId,
        hash: sha256(`${tag}-${i}`),
        mimeType: 'text/plain',
        fileSize: 10 + i,
      })),
    )
    .returning(['id', 'hash'])) as { id: string; hash: string }[];
  const uris = (await db('document_uri')
    .insert(docs.map((d, i) => ({ projectId, documentId: d.id, source, uri: `/docs/${tag}/${i}.txt`, batchId })))
    .returning(['id', 'documentId', 'uri'])) as { id: string; documentId: string; uri: string }[];
  await db('document_uri_version').insert(
    uris.map((u, i) => ({ documentUriId: u.id, version: 1, hash: docs[i]!.hash, action: 'CREATED', batchId })),
  );
  return docs.map((d, i) => ({ ...d, uriId: uris[i]!.id, uri: uris[i]!.uri, source }));
}

/** A worker of the project (the same name in another project is another worker). */
export async function makeWorker(db: Db, projectId: string, id = `w-${unique()}`, idleSeconds = 0) {
  await db('worker').insert({
    projectId,
    id,
    lastCheckinAt: db.raw(`now() - make_interval(secs => ?)`, [idleSeconds]),
  });
  return id;
}

export interface GroupShape {
  projectId: string;
  batchId?: string | null;
  runs: number;
  stepsPerRun: number;
  llmCallsPerStep?: number;
  workerId?: string | null;
}

/** A run group with `runs` runs (one per new document), their steps, LLM calls and files. */
export async function makeRunGroup(db: Db, shape: GroupShape) {
  const batchId = shape.batchId ?? null;
  const docs = await makeDocuments(db, shape.projectId, batchId, shape.runs);
  const [group] = await db('run_group')
    .insert({ projectId: shape.projectId, batchId, workflowDefinitionId: 'wf', name: `g-${unique()}` })
    .returning('*');
  const runs = (await db('run')
    .insert(
      docs.map((d) => ({
        projectId: shape.projectId,
        runGroupId: group.id,
        batchId,
        documentId: d.id,
        workflowDefinitionId: 'wf',
      })),
    )
    .returning(['id', 'documentId'])) as { id: string; documentId: string }[];
  const steps = runs.length
    ? ((await db('step')
        .insert(
          runs.flatMap((r) =>
            Array.from({ length: shape.stepsPerRun }, (_, n) => ({
              projectId: shape.projectId,
              runId: r.id,
              number: n + 1,
              name: `step-${n + 1}`,
              type: 'PARSE',
              isLastStep: n === shape.stepsPerRun - 1,
              workerId: shape.workerId ?? null,
            })),
          ),
        )
        .returning(['id', 'runId'])) as { id: string; runId: string }[])
    : [];
  const perStep = shape.llmCallsPerStep ?? 0;
  let llmCalls: { id: string }[] = [];
  if (perStep > 0 && steps.length) {
    const runOf = new Map(steps.map((s) => [s.id, s.runId]));
    llmCalls = await db('llm_call')
      .insert(
        steps.flatMap((s) =>
          Array.from({ length: perStep }, (_, i) => ({
            projectId: shape.projectId,
            runId: runOf.get(s.id),
            stepId: s.id,
            provider: 'openai',
            model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
            operation: 'CHAT',
            promptTokens: 10,
            completionTokens: 5,
            totalTokens: 15,
            costUsd: 0.001,
            latencyMs: 100 + i,
            status: 'SUCCESS',
          })),
        ),
      )
      .returning('id');
    await db('stored_file').insert(
      llmCalls.flatMap((c) =>
        (['prompt', 'response'] as const).map((name) => ({
          projectId: shape.projectId,
          llmCallId: c.id,
          kind: name.toUpperCase(),
          path: `llm-calls/${c.id}/${name}.txt`,
          mimeType: 'text/plain',
          sizeBytes: name.length,
          checksum: sha256(name),
          content: Buffer.from(name),
        })),
      ),
    );
  }
  return { group: group as { id: string; projectId: string }, docs, runs, steps, llmCalls };
}
