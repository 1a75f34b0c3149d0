// The demo's simulated pipeline: realistic, varied durations per step type, a few transient
// failures that the retry fixes, a few documents the enrichment model refuses for good, and
// fake LLM calls with deterministic token counts and costs (no network).
import type { StepHandlers, StepContext, WorkerStep, HandlerResult } from '../../src/client';

export interface DemoTally {
  completed: number;
  failed: number;
  retries: number;
  llmCalls: number;
  llmCostUsd: number;
}

/** A number in [0, 1) fixed by the text (FNV-1a): the same step behaves the same every run. */
function unit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/** Typical duration of each step type, in ms. */
const TYPICAL_MS = { INGEST: 120, VALIDATE: 60, PARSE: 700, CHUNK: 150, EMBED: 400, STORE: 90, ENRICH: 900, ROUTE: 40 };

/** USD per 1k tokens of the fake models. */
const PRICE = { 'fake-parser-1': 0.0005, 'fake-embed-3': 0.00002, 'fake-chat-2': 0.002 };

export function demoHandlers(options: { tally: DemoTally; timeScale: number }): StepHandlers {
  const { tally, timeScale } = options;
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms * timeScale);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
    });

  const fakeLlm = async (
    step: WorkerStep,
    ctx: StepContext,
    model: keyof typeof PRICE,
    operation: 'CHAT' | 'COMPLETION' | 'EMBEDDING',
    streamed: boolean,
  ) => {
    const r = unit(`${step.id}:llm`);
    const promptTokens = 200 + Math.floor(r * 1800);
    const completionTokens = operation === 'EMBEDDING' ? 0 : 40 + Math.floor(r * 400);
    const costUsd = Number((((promptTokens + completionTokens) / 1000) * PRICE[model]).toFixed(6));
    const prompt = `${operation.toLowerCase()} for document ${step.document.hash.slice(0, 19)}...`;
    const text = `[${model}] ${operation === 'EMBEDDING' ? '1536 floats' : `summary of ${step.document.hash.slice(7, 15)}`}`;
    const usage = { promptTokens, completionTokens, costUsd };
    const outcome = await ctx.llm(
      { provider: 'fake', model, operation, prompt, params: { temperature: 0 } },
      streamed
        ? async function* () {
            await sleep(80 + r * 200, ctx.signal);
            for (const word of text.split(' ')) {
              yield { text: `${word} ` };
              await sleep(20, ctx.signal);
            }
            yield usage;
          }
        : async () => {
            await sleep(100 + r * 300, ctx.signal);
            return { response: text, ...usage };
          },
    );
    tally.llmCalls++;
    tally.llmCostUsd += costUsd;
    return outcome;
  };

  const run =
    (work?: (step: WorkerStep, ctx: StepContext) => Promise<HandlerResult>) =>
    async (step: WorkerStep, ctx: StepContext): Promise<HandlerResult> => {
      try {
        const typical = TYPICAL_MS[step.type];
        await sleep(typical * (0.4 + 1.2 * unit(`${step.id}:${step.retry}`)), ctx.signal);
        // About 5% of first attempts hit a transient error; the retry fixes it.
        if (step.retry === 0 && unit(`${step.id}:transient`) < 0.05) throw new Error('upstream timeout (simulated)');
        // About 3% of documents are refused by the enrichment model, on every attempt.
        if (step.type === 'ENRICH' && unit(`${step.document.hash}:refused`) < 0.03)
          throw new Error('the model refused the document (simulated)');
        const result = work ? await work(step, ctx) : {};
        tally.completed++;
        return result;
      } catch (error) {
        if (step.retry < step.maxRetries) tally.retries++;
        else tally.failed++;
        throw error;
      }
    };

  return {
    INGEST: run(),
    VALIDATE: run(),
    PARSE: run(async (step, ctx) => {
      await fakeLlm(step, ctx, 'fake-parser-1', 'COMPLETION', false);
      await ctx.storeFile({
        kind: 'PARSED_MARKDOWN',
        content: `# ${step.document.hash}\n\nParsed text.`,
        mimeType: 'text/markdown',
      });
      return { statusMeta: { pages: 1 + Math.floor(unit(step.id) * 40) } };
    }),
    CHUNK: run(async (step) => ({ statusMeta: { chunks: 4 + Math.floor(unit(step.id) * 60) } })),
    EMBED: run(async (step, ctx) => {
      await fakeLlm(step, ctx, 'fake-embed-3', 'EMBEDDING', false);
      return {};
    }),
    STORE: run(),
    ENRICH: run(async (step, ctx) => {
      const { response } = await fakeLlm(step, ctx, 'fake-chat-2', 'CHAT', true);
      return { statusMeta: { summary: response.trim() } };
    }),
    ROUTE: run(async () => ({ statusMeta: { index: 'reports' } })),
  };
}
