// Demo data for `npm start`: one project with a batch, two run groups (one finished, one in
// flight with steps in every status), LLM calls with prompt and response files, and two
// workers (one stale). Tests never depend on it. Runs once: a second run finds the project.
import type { Knex } from 'knex';
import { sha256, stepConfigHash } from '../src/services/canonical';

const STEPS = [
  ['ingest', 'INGEST'],
  ['validate', 'VALIDATE'],
  ['parse', 'PARSE'],
  ['chunk', 'CHUNK'],
  ['embed', 'EMBED'],
  ['store', 'STORE'],
] as const;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

export async function seed(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    if (await trx('project').where({ slug: 'demo' }).first()) return;

    const [project] = await trx('project').insert({ slug: 'demo', name: 'Demo pipelines' }).returning('*');
    const projectId: string = project.id;
    await trx('worker').insert([
      { projectId, id: 'worker-a', firstCheckinAt: minutesAgo(180), lastCheckinAt: new Date() },
      { projectId, id: 'worker-b', firstCheckinAt: minutesAgo(600), lastCheckinAt: minutesAgo(120) },
    ]);

    const [batch] = await trx('batch')
      .insert({
        projectId,
        name: 'Q4 financial reports',
        source: 'sharepoint',
        params: { department: 'finance' },
        startedAt: minutesAgo(240),
        completedAt: minutesAgo(200),
      })
      .returning('*');

    // 20 documents at 20 URIs; the first URI was re-crawled twice, so it has 3 versions.
    const documents: { id: string; hash: string }[] = [];
    for (let i = 1; i <= 20; i++) {
      const content = `Demo document ${i}: quarterly figures, section ${i}.`;
      const [doc] = await trx('document')
        .insert({
          projectId,
          hash: sha256(content),
          mimeType: 'application/pdf',
          fileSize: Buffer.byteLength(content),
          meta: { title: `Report ${i}` },
        })
        .returning(['id', 'hash']);
      documents.push(doc);
      const [uri] = await trx('document_uri')
        .insert({
          projectId,
          documentId: doc.id,
          source: 'sharepoint',
          uri: `/finance/q4/report-${i}.pdf`,
          version: i === 1 ? 3 : 1,
          batchId: batch.id,
        })
        .returning('id');
      if (i === 1) {
        const v1 = sha256('Demo document 1, first draft');
        const v2 = sha256('Demo document 1, second draft');
        await trx('document_uri_version').insert([
          {
            documentUriId: uri.id,
            version: 1,
            hash: v1,
            action: 'CREATED',
            batchId: batch.id,
            processedAt: minutesAgo(900),
          },
          {
            documentUriId: uri.id,
            version: 2,
            hash: v2,
            action: 'UPDATED',
            batchId: batch.id,
            processedAt: minutesAgo(600),
          },
          {
            documentUriId: uri.id,
            version: 3,
            hash: doc.hash,
            action: 'UPDATED',
            batchId: batch.id,
            processedAt: minutesAgo(240),
          },
        ]);
      } else {
        await trx('document_uri_version').insert({
          documentUriId: uri.id,
          version: 1,
          hash: doc.hash,
          action: 'CREATED',
          batchId: batch.id,
          processedAt: minutesAgo(240),
        });
      }
      await trx('stored_file').insert({
        projectId,
        documentId: doc.id,
        kind: 'DOCUMENT',
        path: `documents/${doc.id}/original.pdf`,
        mimeType: 'application/pdf',
        sizeBytes: Buffer.byteLength(content),
        checksum: sha256(content),
        content: Buffer.from(content),
      });
    }

    // Hashed like startRunGroup does, so a group started with these steps shares the configs.
    const configIds: string[] = [];
    const cumulative: Record<string, unknown> = {};
    for (const [name, type] of STEPS) {
      const config = { name, engine: type === 'PARSE' ? 'docling' : 'default' };
      cumulative[name] = config;
      const cumulativeConfig = { ...cumulative };
      const [row] = await trx('step_config')
        .insert({
          stepType: type,
          config,
          cumulativeConfig,
          contentHash: stepConfigHash(type, config, cumulativeConfig),
        })
        .onConflict('contentHash')
        .merge()
        .returning('id');
      configIds.push(row.id);
    }

    // Run group 1: finished. Run group 2: in flight, steps in every status.
    await createGroup(trx, {
      projectId,
      batchId: batch.id,
      documents,
      configIds,
      name: 'initial ingest',
      finished: true,
    });
    await createGroup(trx, {
      projectId,
      batchId: batch.id,
      documents: documents.slice(0, 8),
      configIds,
      name: 'reprocess with OCR',
      finished: false,
    });
  });
}

interface GroupSpec {
  projectId: string;
  batchId: string;
  documents: { id: string }[];
  configIds: string[];
  name: string;
  finished: boolean;
}

// Statuses of the in-flight group's runs, step by step (6 steps each).
const IN_FLIGHT: string[][] = [
  ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'],
  ['COMPLETED', 'COMPLETED', 'RUNNING', 'PENDING', 'PENDING', 'PENDING'],
  ['COMPLETED', 'COMPLETED', 'ERROR', 'PENDING', 'PENDING', 'PENDING'],
  ['COMPLETED', 'FAILED', 'PENDING', 'PENDING', 'PENDING', 'PENDING'],
  ['COMPLETED', 'CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED'],
  ['RUNNING', 'PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING'],
  ['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING'],
  ['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING'],
];

function runStatus(steps: string[]): string {
  if (steps.every((s) => s === 'COMPLETED')) return 'COMPLETED';
  if (steps.includes('FAILED')) return 'FAILED';
  if (steps.includes('CANCELLED')) return 'CANCELLED';
  if (steps.every((s) => s === 'PENDING')) return 'PENDING';
  return 'RUNNING';
}

async function createGroup(trx: Knex.Transaction, g: GroupSpec): Promise<void> {
  const start = minutesAgo(g.finished ? 200 : 30);
  const [group] = await trx('run_group')
    .insert({
      projectId: g.projectId,
      batchId: g.batchId,
      name: g.name,
      workflowDefinitionId: 'batch',
      paramDefinitionId: 'default',
      status: g.finished ? 'COMPLETED' : 'RUNNING',
      createdAt: start,
      statusAt: g.finished ? minutesAgo(150) : minutesAgo(1),
      startedAt: start,
      completedAt: g.finished ? minutesAgo(150) : null,
    })
    .returning('id');
  await trx('lifecycle_event').insert({
    projectId: g.projectId,
    type: 'GROUP_START',
    batchId: g.batchId,
    runGroupId: group.id,
    status: 'RUNNING',
    occurredAt: start,
  });

  for (const [i, doc] of g.documents.entries()) {
    const stepStatuses = g.finished ? STEPS.map(() => 'COMPLETED') : IN_FLIGHT[i]!;
    const status = runStatus(stepStatuses);
    const final = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(status);
    const [run] = await trx('run')
      .insert({
        projectId: g.projectId,
        runGroupId: group.id,
        batchId: g.batchId,
        documentId: doc.id,
        workflowDefinitionId: 'batch',
        status,
        statusAt: minutesAgo(5),
        startedAt: status === 'PENDING' ? null : start,
        completedAt: final ? minutesAgo(g.finished ? 150 + i : 5) : null,
      })
      .returning('id');
    if (status !== 'PENDING') {
      await trx('lifecycle_event').insert({
        projectId: g.projectId,
        type: 'ITEM_START',
        batchId: g.batchId,
        runGroupId: group.id,
        runId: run.id,
        status: 'RUNNING',
        occurredAt: start,
      });
    }
    for (const [n, [name, type]] of STEPS.entries()) {
      const stepStatus = stepStatuses[n]!;
      const began = stepStatus !== 'PENDING' && stepStatus !== 'CANCELLED';
      const ended = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(stepStatus);
      const [step] = await trx('step')
        .insert({
          projectId: g.projectId,
          runId: run.id,
          number: n + 1,
          name,
          type,
          stepConfigId: g.configIds[n],
          isLastStep: n === STEPS.length - 1,
          status: stepStatus,
          statusMessage:
            stepStatus === 'ERROR' ? 'OCR service timed out' : stepStatus === 'FAILED' ? 'Not a valid PDF' : null,
          retry: stepStatus === 'ERROR' ? 1 : stepStatus === 'FAILED' ? 2 : 0,
          maxRetries: 2,
          workerId: began ? (stepStatus === 'RUNNING' && i === 5 ? 'worker-b' : 'worker-a') : null,
          statusAt: stepStatus === 'PENDING' ? null : minutesAgo(5),
          startedAt: began ? minutesAgo(20 - n) : null,
          completedAt: ended && began ? minutesAgo(19 - n) : null,
          version: stepStatus === 'PENDING' ? 1 : 3,
        })
        .returning(['id', 'type']);
      if (began) {
        const eventType =
          stepStatus === 'COMPLETED'
            ? 'STEP_END'
            : stepStatus === 'ERROR' || stepStatus === 'FAILED'
              ? 'STEP_FAILED'
              : 'STEP_START';
        await trx('lifecycle_event').insert({
          projectId: g.projectId,
          type: eventType,
          batchId: g.batchId,
          runGroupId: group.id,
          runId: run.id,
          stepId: step.id,
          stepType: type,
          status: stepStatus,
          previousStatus: 'RUNNING',
          occurredAt: minutesAgo(19 - n),
        });
      }
      if (type === 'PARSE' && began) await llmCalls(trx, g.projectId, run.id, step.id, stepStatus === 'ERROR');
    }
    if (final) {
      const type = status === 'COMPLETED' ? 'ITEM_END' : 'ITEM_FAILED';
      await trx('lifecycle_event').insert({
        projectId: g.projectId,
        type,
        batchId: g.batchId,
        runGroupId: group.id,
        runId: run.id,
        status,
        occurredAt: minutesAgo(5),
      });
    }
  }
  if (g.finished) {
    await trx('lifecycle_event').insert({
      projectId: g.projectId,
      type: 'GROUP_END',
      batchId: g.batchId,
      runGroupId: group.id,
      status: 'COMPLETED',
      occurredAt: minutesAgo(150),
    });
  }
}

async function llmCalls(
  trx: Knex.Transaction,
  projectId: string,
  runId: string,
  stepId: string,
  failed: boolean,
): Promise<void> {
  const calls = [
    {
      provider: 'openai',
      model: 'gpt-4o-mini',
      operation: 'CHAT',
      prompt: 'Extract the tables of this page as markdown.',
      response: '| quarter | revenue |\n|---|---|\n| Q4 | 12.1M |',
    },
    {
      provider: 'ollama',
      model: 'nomic-embed-text',
      operation: 'EMBEDDING',
      prompt: 'Q4 revenue grew 8% year over year.',
      response: '[0.0132, -0.2211, 0.0913]',
    },
  ];
  for (const [i, c] of calls.entries()) {
    const error = failed && i === 0;
    const promptTokens = 40 + c.prompt.length;
    const completionTokens = error ? 0 : 10 + c.response.length;
    const [call] = await trx('llm_call')
      .insert({
        projectId,
        runId,
        stepId,
        provider: c.provider,
        model: c.model,
        operation: c.operation,
        params: { temperature: 0 },
        promptTokens,
        completionTokens,
        totalTokens: promptTokens + completionTokens,
        usageDetails: i === 0 ? { cachedPromptTokens: 16 } : {},
        costUsd: (promptTokens * 0.15 + completionTokens * 0.6) / 1_000_000,
        latencyMs: 300 + i * 120,
        timeToFirstTokenMs: 90,
        status: error ? 'ERROR' : 'SUCCESS',
        errorMessage: error ? 'upstream timeout after 30s' : null,
        startedAt: minutesAgo(18),
        completedAt: minutesAgo(18),
      })
      .returning('id');
    const files = [{ kind: 'PROMPT', name: 'prompt.txt', text: c.prompt }];
    if (!error) files.push({ kind: 'RESPONSE', name: 'response.txt', text: c.response });
    await trx('stored_file').insert(
      files.map((f) => ({
        projectId,
        llmCallId: call.id,
        kind: f.kind,
        path: `llm-calls/${call.id}/${f.name}`,
        mimeType: 'text/plain',
        sizeBytes: Buffer.byteLength(f.text),
        checksum: sha256(f.text),
        content: Buffer.from(f.text),
      })),
    );
  }
}
