import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { eventContext, type Context } from '../context';
import { canonicalJson } from '../services/canonical';

/**
 * Subscribers of one shape (the same document, variables and project scope) get the same
 * result for an event: it is executed once per process and shared, so the work per event grows
 * with the number of distinct shapes, not of subscribers.
 */
const resultsByEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

// Documents are shared by every subscription sending the same text (DocumentCache), so a
// document's identity stands for its text in the shape, at a few bytes per subscription.
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function shapeOf(args: ExecutionArgs): string {
  let id = documentIds.get(args.document);
  if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
  const scope = (args.contextValue as Context | undefined)?.scope.projectIds ?? null;
  return `${id}:${canonicalJson([args.operationName ?? null, args.variableValues ?? {}, scope])}`;
}

/** The event a subscription payload carries, when it carries one (Delivery of the bus). */
function eventOf(payload: unknown): object | null {
  const event = payload && typeof payload === 'object' ? (payload as { event?: unknown }).event : undefined;
  return event && typeof event === 'object' ? event : null;
}

export interface SharedSubscribeOptions {
  /** Counts real executions (not the subscribers that share them). */
  onExecute?(): void;
}

/** graphql-ws's `subscribe`, executing each event once per shape. */
export function sharedSubscribe(options: SharedSubscribeOptions = {}) {
  return async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    // Before the source stream registers its listener: nothing may throw between the two.
    const shape = shapeOf(args);
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const run = (payload: unknown): Promise<ExecutionResult> => {
      options.onExecute?.();
      const contextValue = eventContext(args.contextValue as Context, payload);
      return Promise.resolve(execute({ ...args, rootValue: payload, contextValue }));
    };
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const mapped: AsyncGenerator<ExecutionResult> = {
      async next() {
        const item = await iterator.next();
        if (item.done) return { value: undefined, done: true };
        const event = eventOf(item.value);
        if (!event) return { value: await run(item.value), done: false };
        let byShape = resultsByEvent.get(event);
        if (!byShape) resultsByEvent.set(event, (byShape = new Map()));
        let result = byShape.get(shape);
        if (!result) byShape.set(shape, (result = run(item.value)));
        return { value: await result, done: false };
      },
      async return() {
        await iterator.return?.();
        return { value: undefined, done: true };
      },
      async throw(error: unknown) {
        await iterator.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      async [Symbol.asyncDispose]() {
        await iterator.return?.();
      },
    };
    return mapped;
  };
}
