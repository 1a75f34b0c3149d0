// A small seed builder over the public API, for tests of the write path.
import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import * as M from '../../src/models';
import { graphql } from '../__generated__';
import type { TestServer } from './server';

const uniqueSlug = () => `t-${randomBytes(4).toString('hex')}`;
export const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Throws with the errors (and the request id) when an operation that must succeed does not. */
export async function must<R, V>(s: TestServer, query: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
export async function must<T = any>(s: TestServer, query: string, variables?: Record<string, unknown>): Promise<T>;
export async function must(s: TestServer, query: string | TypedDocumentNode, variables?: unknown): Promise<unknown> {
  const res =
    typeof query === 'string'
      ? await s.gql(query, variables as Record<string, unknown>)
      : await s.gql(query, variables as Record<string, unknown> | undefined);
  if (res.errors?.length || !res.data)
    throw new Error(`request ${res.requestId ?? '(no id)'} failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

const CreateProject = graphql(`
  mutation CreateProject($i: CreateProjectInput!) {
    createProject(input: $i) {
      id
      slug
    }
  }
`);

export async function createProject(s: TestServer): Promise<{ id: string; slug: string }> {
  const slug = uniqueSlug();
  const data = await must(s, CreateProject, { i: { slug, name: slug } });
  return data.createProject;
}

const CreateBatch = graphql(`
  mutation CreateBatch($i: CreateBatchInput!) {
    createBatch(input: $i) {
      id
      documents(first: 100) {
        nodes {
          id
          document {
            id
          }
        }
      }
    }
  }
`);

export async function createBatch(s: TestServer, projectId: string, documents: number, tag = uniqueSlug()) {
  const data = await must(s, CreateBatch, {
    i: {
      projectId,
      name: tag,
      source: 'fs',
      documents: Array.from({ length: documents }, (_, n) => ({
        uri: `/${tag}/${n}`,
        content: b64(`${tag} ${n}`),
        mimeType: 'text/plain',
      })),
    },
  });
  return data.createBatch;
}

export const STEPS = [
  { name: 'ingest', type: 'INGEST' },
  { name: 'parse', type: 'PARSE', config: { ocr: true }, maxRetries: 1 },
  { name: 'embed', type: 'EMBED' },
];

export async function startRunGroup(
  s: TestServer,
  batchId: string,
  steps: unknown[] = STEPS,
  extra: Record<string, unknown> = {},
) {
  const data = await must(s, `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id status } }`, {
    i: { batchId, workflowDefinitionId: 'wf', steps, ...extra },
  });
  return data.startRunGroup as { id: string; status: string };
}

export async function claim(s: TestServer, workerId: string, extra: Record<string, unknown> = {}) {
  const data = await must(
    s,
    `mutation ($i: ClaimStepInput!) { claimNextStep(input: $i) { id number name status version retry run { id status } worker { id } } }`,
    { i: { workerId, ...extra } },
  );
  return data.claimNextStep as null | {
    id: string;
    number: number;
    name: string;
    status: string;
    version: number;
    retry: number;
    run: { id: string; status: string };
  };
}

export const UPDATE = `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { id status version retry completedAt } }`;

/**
 * Reports a status for a step. A report on a RUNNING step must name its worker: unless `extra`
 * gives a workerId, the report is sent as the worker that holds the step (tests of other things
 * need not track which worker claimed what).
 */
export async function setStatus(s: TestServer, stepId: string, status: string, extra: Record<string, unknown> = {}) {
  let workerId = extra.workerId;
  if (workerId === undefined) {
    const row = (await s.db('step').where({ id: stepId }).first('status', 'workerId')) as
      { status: string; workerId: string | null } | undefined;
    if (row?.status === 'RUNNING') workerId = row.workerId;
  }
  const data = await must(s, UPDATE, { i: { stepId, status, ...extra, ...(workerId ? { workerId } : {}) } });
  return data.updateStepStatus as {
    id: string;
    status: string;
    version: number;
    retry: number;
    completedAt: string | null;
  };
}

/** Row counts of every table the write path touches (the models' tables but projects, keys, workers, config sets). */
const COUNTED = [
  M.Batch,
  M.Document,
  M.DocumentUri,
  M.DocumentUriVersion,
  M.RunGroup,
  M.Run,
  M.Step,
  M.StepConfig,
  M.LifecycleEvent,
  M.LlmCall,
  M.StoredFile,
  M.IdempotencyKey,
].map((model) => model.tableName);

export async function tableCounts(s: TestServer): Promise<Record<(typeof COUNTED)[number], number>> {
  const tables = COUNTED;
  const out = {} as Record<(typeof COUNTED)[number], number>;
  for (const t of tables) out[t] = Number((await s.db(t).count({ n: '*' }).first())!.n);
  return out;
}
