// Seeding through the real write path: a batch of documents, a run group of 10-step runs, three
// LLM calls (with prompt and response files) per step, and workers on the first steps.
import { gql, pool } from './harness';

// any: pages of the seeding queries are read ad hoc
type Loose = any;

export async function seedGroup(url: string, projectId: string, runs: number, llmPerStep: number): Promise<string> {
  const docs = Array.from({ length: runs }, (_, i) => ({
    uri: `/bench/${projectId}/${runs}/${i}`,
    hash: `sha256-${(BigInt(i) + BigInt(runs) * 1_000_000n).toString(16).padStart(64, '0')}`,
    mimeType: 'text/plain',
  }));
  const batch = (
    await gql(url, `mutation ($i: CreateBatchInput!) { createBatch(input: $i) { id } }`, {
      i: { projectId, name: `b${runs}`, source: 'bench', documents: docs },
    })
  ).createBatch;
  const steps = Array.from({ length: 10 }, (_, i) => ({
    name: `s${i}`,
    type: ['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE', 'PARSE', 'EMBED'][i],
    maxRetries: 1_000_000,
  }));
  const group = (
    await gql(
      url,
      `mutation ($i: StartRunGroupInput!) { startRunGroup(input: $i) { id runs(first: 100) { nodes { steps { id } } } } }`,
      { i: { batchId: batch.id, workflowDefinitionId: 'bench', steps } },
    )
  ).startRunGroup;
  const stepIds: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Loose = (
      await gql(
        url,
        `query ($id: ID!, $after: String) { runGroup(id: $id) { runs(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { steps { id } } } } }`,
        { id: group.id, after },
      )
    ).runGroup.runs;
    stepIds.push(...page.nodes.flatMap((r: Loose) => r.steps.map((s: Loose) => s.id)));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  const calls = stepIds.flatMap((stepId) => Array.from({ length: llmPerStep }, (_, i) => ({ stepId, i })));
  let done = 0;
  await pool(calls, 16, async ({ stepId, i }) => {
    await gql(url, `mutation ($i: RecordLlmCallInput!) { recordLlmCall(input: $i) { id } }`, {
      i: {
        stepId,
        provider: 'bench',
        model: `m${i}`,
        operation: 'CHAT',
        prompt: `prompt ${i} for ${stepId}`,
        response: 'response',
        promptTokens: 10,
        completionTokens: 5,
        latencyMs: 100,
        status: 'SUCCESS',
      },
    });
    if (++done % 500 === 0) process.stdout.write(`\r  seeding ${runs} runs: ${done}/${calls.length} LLM calls`);
  });
  process.stdout.write(`\r  seeded ${runs} runs x 10 steps x ${llmPerStep} LLM calls${' '.repeat(20)}\n`);
  return group.id as string;
}

/** Workers claim the first steps (up to 200), as pages show them. */
export async function seedWorkers(url: string, claims: number): Promise<void> {
  for (let i = 0; i < Math.min(claims, 200); i++)
    await gql(url, `mutation { claimNextStep(input: { workerId: "bench-worker-${i % 4}", types: [INGEST] }) { id } }`);
}
