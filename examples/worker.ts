// A complete pipeline worker: `RUNLEDGER_KEY=<key> node --import tsx examples/worker.ts`, with
// `npm start` running. It takes PARSE and EMBED steps until Ctrl-C (then it finishes or hands
// back what it holds). The model calls are stand-ins: put your provider's client there.
import WebSocket from 'ws';
import { createRunledgerWorker } from '../src/client';

const worker = createRunledgerWorker({
  url: process.env.RUNLEDGER_URL ?? 'http://127.0.0.1:4000/graphql',
  apiKey: process.env.RUNLEDGER_KEY ?? '',
  // Unique per running worker: the lease and heartbeat are by name.
  workerId: `parser-${process.pid}`,
  concurrency: 4,
  handleSignals: true,
  webSocketImpl: WebSocket, // Node < 22 has no global WebSocket
  handlers: {
    PARSE: async (step, ctx) => {
      // Timed and recorded (prompt, response, tokens, cost), also when it throws.
      const { response } = await ctx.llm(
        { provider: 'openai', model: 'gpt-4o-mini', operation: 'COMPLETION', prompt: `Extract ${step.document.hash}` },
        async (signal) => {
          signal.throwIfAborted(); // pass `signal` to your HTTP client so a cancel stops the call
          return { response: '# Title\n\nThe text.', promptTokens: 812, completionTokens: 95, costUsd: 0.00018 };
        },
      );
      const file = await ctx.storeFile({ kind: 'PARSED_MARKDOWN', content: response, mimeType: 'text/markdown' });
      // Reported COMPLETED with this; a throw is reported ERROR (retried while maxRetries allows).
      return { statusMeta: { characters: response.length, file: file.path } };
    },
    EMBED: async (step, ctx) => {
      // A streamed response: the time to the first chunk is recorded as timeToFirstTokenMs.
      await ctx.llm(
        { provider: 'openai', model: 'text-embedding-3-small', operation: 'EMBEDDING', prompt: step.name },
        () =>
          (async function* () {
            yield { text: '[0.12, -0.03, ...]' };
            yield { promptTokens: 8, costUsd: 0.0000002 };
          })(),
      );
      return { statusMeta: { vectors: 1 } };
    },
  },
});

worker.start().then(
  () => console.log(`${worker.workerId} is waiting for PARSE and EMBED steps`),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
