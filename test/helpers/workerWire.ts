// Deterministic control of what the worker SDK receives: pushes held on their way, answers held or watched.
import WebSocket from 'ws';
import type { TestServer } from './server';
import { collect, wsClient } from './ws';

/** A promise and the function that resolves it. */
export function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/**
 * A WebSocket implementation that, once `hold()` is called, holds back the next claimedStep
 * push and every message after it (their order kept) until `deliver()`; `seen()` resolves on the
 * next claimedStep push the worker is given (held or not), once it has handled it.

 */
export function heldPushes() {
  let holding = false;
  const queued: (() => void)[] = [];
  let held = signal();
  const handled: (() => void)[] = [];
  const accessor = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;
  class HoldingWebSocket extends WebSocket {}
  Object.defineProperty(HoldingWebSocket.prototype, 'onmessage', {
    get(this: WebSocket) {
      return accessor.get!.call(this) as unknown;
    },
    set(this: WebSocket, listener: ((event: WebSocket.MessageEvent) => void) | null) {
      const holdingListener = (event: WebSocket.MessageEvent) => {
        const isPush = typeof event.data === 'string' && event.data.includes('"claimedStep"');
        const run = () => {
          listener!(event);
          if (isPush) setImmediate(() => handled.splice(0).forEach((f) => f()));
        };
        const push = holding && isPush;
        if (queued.length === 0 && !push) return run();
        queued.push(run);
        held.fire();
      };
      accessor.set!.call(this, listener && holdingListener);
    },
  });
  return {
    impl: HoldingWebSocket,
    hold(): Promise<void> {
      holding = true;
      held = signal();
      return held.promise;
    },
    deliver(): void {
      holding = false;
      for (const message of queued.splice(0)) message();
    },
    /** Resolves after the next push reaches the worker and it handled it. */
    seen(): Promise<void> {
      return new Promise((resolve) => handled.push(resolve));
    },
  };
}

/**
 * Wraps fetch: for requests whose body contains `fragment`, `gate` (when given) holds the answer
 * until it resolves, and `then` is called once the caller has read the answer (a macrotask after
 * its json(): the caller's continuation has run).
 */
export function watchRequests(fragment: string, hooks: { gate?: () => Promise<void>; then?: () => void }): () => void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init);
    if (typeof init?.body === 'string' && init.body.includes(fragment)) {
      const json = res.json.bind(res);
      res.json = async () => {
        const body = (await json()) as unknown;
        if (hooks.gate) await hooks.gate();
        if (hooks.then) setImmediate(hooks.then);
        return body;
      };
    }
    return res;
  };
  return () => void (globalThis.fetch = realFetch);
}

/** The one step of a one-step run group, as the database has it. */
export async function stepOf(s: TestServer, groupId: string) {
  return (await s
    .db('step as s')
    .join('run as r', 'r.id', 's.run_id')
    .where('r.run_group_id', groupId)
    .first('s.id', 's.status', 's.retry', 's.worker_id', 's.status_message', 's.version')) as {
    id: string;
    status: string;
    retry: number;
    workerId: string | null;
    statusMessage: string | null;
    version: number;
  };
}

/** Resolves when the run group ends (its runGroupProgress subscription completes). */
export async function groupEnd(s: TestServer, groupId: string): Promise<void> {
  const ws = wsClient(s.url);
  await collect(ws, `subscription ($id: ID!) { runGroupProgress(runGroupId: $id) { total } }`, { id: groupId })
    .waitForEnd(10_000)
    .finally(() => ws.dispose());
}

/** A claimedStep waiter's first look checked its worker in: it committed, finding nothing. */
export async function firstLookDone(s: TestServer, workerId: string, projectId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await s.db('worker').where({ id: workerId, projectId }).first()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`worker ${workerId} never checked in`);
}
