import path from 'node:path';
import express, { type Router } from 'express';
import { explorerAssets } from './build';

export interface ExplorerOptions {
  /** Pre-filled in the headers editor, e.g. the embedded dev mode's admin key. */
  defaultHeaders?: Record<string, string>;
  /** Ids for the example operations (a run, a run group, a batch, a step), when known. */
  examples?: () => Promise<ExampleIds>;
}

export interface ExampleIds {
  runId?: string;
  runGroupId?: string;
  batchId?: string;
  stepId?: string;
}

const ASSETS_PATH = '/graphql/explorer';

function tabs(ids: ExampleIds) {
  const v = (o: Record<string, unknown>) => JSON.stringify(o, null, 2);
  return [
    {
      query: `# The detail page of one run: its document, steps, workers and LLM calls.
query RunDetail($id: ID!) {
  run(id: $id) {
    status duration
    document { hash uris(first: 10) { source uri version } }
    steps {
      number name type status retry maxRetries duration
      worker { id isStale }
      llmCalls(first: 10) { model totalTokens costUsd latencyMs promptFile { sizeBytes } responseFile { sizeBytes } }
    }
  }
}`,
      variables: v({ id: ids.runId ?? '<run id>' }),
    },
    {
      query: `# A batch with its run groups and how far each one is.
query BatchOverview($id: ID!) {
  batch(id: $id) {
    name source startedAt completedAt
    stats { documentCount runCount runsByStatus { status count } }
    runGroups(first: 10) { nodes { id name status progress { total completed failed fractionDone } } }
  }
}`,
      variables: v({ id: ids.batchId ?? '<batch id>' }),
    },
    {
      query: `# Live: every step status change of a run group. Run it, then change a step in another tab.
subscription StepStatus($runGroupId: ID!) {
  stepStatusChanged(filter: { runGroupId: $runGroupId }) {
    cursor previousStatus status
    step { name number }
    runGroupProgress { total completed running fractionDone }
  }
}`,
      variables: v({ runGroupId: ids.runGroupId ?? '<run group id>' }),
    },
    {
      query: `# Record a model call of a step: its prompt and response are kept as files.
mutation RecordLlmCall($stepId: ID!) {
  recordLlmCall(input: {
    stepId: $stepId, provider: "openai", model: "gpt-4o-mini", operation: CHAT,
    prompt: "Summarise the document.", response: "A short summary.",
    promptTokens: 12, completionTokens: 5, costUsd: 0.00002, latencyMs: 640, status: SUCCESS
  }) { id totalTokens promptFile { path } responseFile { path } }
}`,
      variables: v({ stepId: ids.stepId ?? '<step id>' }),
    },
  ];
}

function page(config: unknown): string {
  // JSON in a script tag: escape "<" so the data can never close the tag.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>runledger explorer</title>
  <link rel="icon" href="data:," />
  <link rel="stylesheet" href="${ASSETS_PATH}/explorer.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql"></div>
  <script type="application/json" id="explorer-config">${json}</script>
  <script type="module" src="${ASSETS_PATH}/explorer.js"></script>
</body>
</html>`;
}

/** GET /graphql from a browser: the explorer page; its assets under /graphql/explorer. */
export function explorerRouter(options: ExplorerOptions): Router {
  const router = express.Router();
  router.use(
    ASSETS_PATH,
    express.static(path.resolve(explorerAssets), { immutable: false, maxAge: '1h', index: false, fallthrough: false }),
  );
  router.get('/graphql', async (req, res, next) => {
    if (req.query.query !== undefined || req.accepts(['json', 'html']) !== 'html') return next();
    const ids = options.examples ? await options.examples().catch(() => ({})) : {};
    res
      .set(
        'content-security-policy',
        "default-src 'self'; connect-src 'self' ws: wss:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; script-src 'self'",
      )
      .type('html')
      .send(
        page({ path: '/graphql', headers: JSON.stringify(options.defaultHeaders ?? {}, null, 2), tabs: tabs(ids) }),
      );
  });
  return router;
}
