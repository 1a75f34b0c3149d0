// The worker SDK: claims steps of the types it has handlers for, runs them, heartbeats, reports.
// Idle, each free slot waits on a claimedStep subscription: the server claims for it when work
// commits and sends the step, so a fleet of idle workers costs the database nothing and a step
// reaches a handler without a round trip from the worker. A step the server gave it that it never ran goes back with releaseStep (no attempt).
import {
  ClaimNextStepDocument,
  ClaimedStepDocument,
  RecordStepLlmCallDocument,
  ReleaseStepDocument,
  ReportStepStatusDocument,
  StepsRevokedDocument,
  StoreStepFileDocument,
  WorkerHeartbeatDocument,
  type ClaimNextStepMutation,
  type LlmOperation,
  type RecordLlmCallInput,
  type StepRevocationReason,
  type StepType,
  type StoredFileKind,
} from './__generated__/graphql';
import { RunledgerError, createRunledgerClient, type RunledgerClient } from './client';

type Claimed = NonNullable<ClaimNextStepMutation['claimNextStep']>;

/** A step the worker holds, as its handler sees it. */
export interface WorkerStep<T extends StepType = StepType> {
  id: string;
  type: T;
  name: string;
  /** 1-based position in its run. */
  number: number;
  /** Failed attempts so far (0 on the first). */
  retry: number;
  maxRetries: number;
  /** The step's config (from startRunGroup's step spec); null without one. */
  config: unknown;
  runId: string;
  runGroupId: string;
  /** The run's params. */
  runParams: unknown;
  document: { id: string; hash: string; mimeType: string };
}

/** What a handler may return: the step is reported COMPLETED with it. */
export interface HandlerResult {
  /** Stored as the step's statusMeta (a JSON object). */
  statusMeta?: Record<string, unknown>;
  /** Stored as the step's statusMessage. */
  message?: string;
}

/** A model request, recorded with its prompt and response by `ctx.llm`. */
export interface LlmRequest {
  provider: string;
  model: string;
  /** @default 'CHAT' */
  operation?: LlmOperation;
  prompt: string;
  params?: Record<string, unknown>;
}

/** What a model call returned (the whole response, or the usage seen last when streamed). */
export interface LlmOutcome {
  response: string;
  promptTokens?: number;
  completionTokens?: number;
  costUsd?: number;
  usageDetails?: Record<string, unknown>;
}

/** One piece of a streamed response; usage fields, when present, replace earlier ones. */
export type LlmChunk = Partial<LlmOutcome> & { text?: string };

/** What a handler gets besides the step. */
export interface StepContext {
  /** Aborted when the step is cancelled, taken over by another worker, or the worker stops. */
  signal: AbortSignal;
  workerId: string;
  /** Records an LLM call made by this step (its prompt and response become stored files). */
  recordLlmCall(input: Omit<RecordLlmCallInput, 'stepId' | 'runId'>): Promise<{ id: string }>;
  /**
   * Times a model call and records it, with its prompt and response, whether it succeeds or
   * throws (then it rethrows). `call` returns the outcome, or an async iterable of chunks for
   * a streamed response (the time to the first chunk is recorded as timeToFirstTokenMs).
   */
  llm(
    request: LlmRequest,
    call: (signal: AbortSignal) => Promise<LlmOutcome> | AsyncIterable<LlmChunk>,
  ): Promise<LlmOutcome>;
  /** Stores bytes under this step (`steps/<stepId>/...`). */
  storeFile(input: { kind: StoredFileKind; content: string | Uint8Array; mimeType?: string }): Promise<{
    id: string;
    path: string;
  }>;
}

export type StepHandler<T extends StepType> = (
  step: WorkerStep<T>,
  ctx: StepContext,
) => Promise<HandlerResult | void> | HandlerResult | void;

/** One handler per step type the worker takes; it claims no other type. */
export type StepHandlers = { [T in StepType]?: StepHandler<T> };

export interface RunledgerWorkerOptions {
  /** e.g. http://localhost:4000/graphql */
  url: string;
  /** A WRITER key. */
  apiKey: string;
  /** The worker's name: unique per running worker (its lease and heartbeat are by name). */
  workerId: string;
  /** Only steps of this project. */
  projectId?: string;
  /** Only steps of this run group. */
  runGroupId?: string;
  handlers: StepHandlers;
  /** Steps run at once. @default 1 */
  concurrency?: number;
  /**
   * Check-in interval while steps run (idle, the worker is silent and its lease runs out). Its
   * answer tells which steps the server says the worker holds: those it does not know in two
   * answers in a row (a claimedStep push lost with its connection) it hands back unrun.
   * @default a third of the server's lease, at most 10 s
   */
  heartbeatMs?: number;
  /**
   * Claim attempts for free slots that no claimedStep subscription holds (it failed). Waiting
   * slots need none: the server looks for steps of lost workers itself, every half lease.
   * @default half the server's lease, at least 30 s
   */
  pollIntervalMs?: number;
  /** How long stop() lets running handlers finish before reporting them ERROR. @default 10000 */
  stopGraceMs?: number;
  /** Stop on SIGTERM / SIGINT, then let the signal end the process. @default false */
  handleSignals?: boolean;
  /** A WebSocket implementation where there is no global one (Node < 22: the `ws` package). */
  webSocketImpl?: unknown;
  /** Where the worker tells about failures it survives (lost reports, dropped signals). @default console.warn */
  onWarning?(message: string, error?: unknown): void;
}

export interface RunledgerWorker {
  readonly workerId: string;
  /** Subscribes to work signals and starts claiming. */
  start(): Promise<void>;
  /**
   * Stops claiming, lets running handlers finish within `stopGraceMs`, then aborts the rest and
   * reports them ERROR ("worker stopped") so that another worker retries them at once. Steps it
   * was given but never ran (claimed while it stopped, or held by the server for it without
   * ever reaching it) are handed back with releaseStep: claimable again, as no attempt.
   */
  stop(): Promise<void>;
  /** Steps running now. */
  readonly running: number;
  /** Resolves when the worker is idle (its last claim found nothing, nothing runs): for tests. */
  idle(): Promise<void>;
}

const STOPPED_MESSAGE = 'worker stopped';
/** How many times a report or a hand-back is tried before it is given up on. */
const SEND_ATTEMPTS = 21;

interface Running {
  step: WorkerStep;
  version: number;
  controller: AbortController;
  /** performance.now() at the claim: a heartbeat sent before it cannot know the step. */
  claimedAt: number;
  /** Settled: reported, or given up because the step is no longer ours. */
  settled: boolean;
  done: Promise<void>;
}

/** Workers that stop on SIGTERM / SIGINT: one process listener for all of them. */
const signalled = new Set<RunledgerWorker>();
let signalListener: ((signal: NodeJS.Signals) => void) | null = null;

function watchSignals(worker: RunledgerWorker): void {
  signalled.add(worker);
  if (signalListener) return;
  signalListener = (signal) => {
    process.off('SIGTERM', signalListener!);
    process.off('SIGINT', signalListener!);
    signalListener = null;
    const workers = [...signalled];
    signalled.clear();
    // Then the signal does what it would have done without us: end the process.
    void Promise.allSettled(workers.map((w) => w.stop())).then(() => process.kill(process.pid, signal));
  };
  process.on('SIGTERM', signalListener);
  process.on('SIGINT', signalListener);
}

/** Waits before the retry after `attempt` failed ones: 100 ms, doubling, at most 5 s. */
function backOff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
}

/** Steps `known` remembers (see there). */
const KNOWN_STEPS = 10_000;
/** Characters of a message a report carries: well under the server's 16 KiB for any text. */
const MESSAGE_CHARS = 4000;

/** A message cut to what the server accepts, saying that it was cut. */
function clip(message: string): string {
  return message.length <= MESSAGE_CHARS ? message : `${message.slice(0, MESSAGE_CHARS - 12)}… (cut)`;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The step is not ours any more: CONFLICT (cancelled, taken over) or NOT_FOUND (its group was deleted). */
function isGone(error: unknown): boolean {
  return (
    error instanceof RunledgerError &&
    error.errors.some((e) => e.extensions?.code === 'CONFLICT' || e.extensions?.code === 'NOT_FOUND')
  );
}

function toStep(s: Claimed): WorkerStep {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    number: s.number,
    retry: s.retry,
    maxRetries: s.maxRetries,
    config: s.config?.config ?? null,
    runId: s.run.id,
    runGroupId: s.run.runGroup.id,
    runParams: s.run.params,
    document: s.run.document,
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<LlmChunk> {
  return value != null && typeof (value as AsyncIterable<LlmChunk>)[Symbol.asyncIterator] === 'function';
}

export function createRunledgerWorker(options: RunledgerWorkerOptions): RunledgerWorker {
  const { workerId } = options;
  const types = (Object.keys(options.handlers) as StepType[]).filter((t) => options.handlers[t]);
  if (types.length === 0) throw new Error('createRunledgerWorker: handlers must name at least one step type');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`createRunledgerWorker: concurrency must be a positive integer, got ${concurrency}`);
  }
  const warn =
    options.onWarning ??
    ((message: string, error?: unknown) => console.warn(`[runledger worker ${workerId}] ${message}`, error ?? ''));
  const client: RunledgerClient = createRunledgerClient({
    url: options.url,
    apiKey: options.apiKey,
    webSocketImpl: options.webSocketImpl,
  });

  const running = new Map<string, Running>();
  let started = false;
  let stopping = false;
  let claiming = false;
  /** Free slots waiting on a claimedStep subscription, by their unsubscribe function. */
  const slots = new Set<() => void>();
  /** Steps being handed back (releaseStep), by id: stop() waits for them. */
  const handBacks = new Map<string, Promise<void>>();
  /**
   * Steps the last heartbeat said the server holds for this worker that it does not know, with
   * their versions: handed back when the next heartbeat says so again (one answer may name a
   * step whose push is still on its way).
   */
  let unknownHeld = new Map<string, number>();
  /**
   * The newest claim of each step this worker has had a hand in (run, or handed back), by id:
   * a push or a claim's answer at that version or older is of a claim already dealt with (a
   * push that comes after its hand-back), and a step held at such a version is not "never
   * received" (a step whose report was lost is ours, not free to hand back as no attempt).
   * Bounded: the oldest are forgotten first.
   */
  const known = new Map<string, number>();
  const isKnown = (id: string, version: number) => (known.get(id) ?? -1) >= version;
  const remember = (id: string, version: number) => {
    known.delete(id);
    known.set(id, version);
    if (known.size > KNOWN_STEPS) known.delete(known.keys().next().value!);
  };
  let heartbeatInFlight: Promise<void> | null = null;
  let slotsRefused = false;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  let heartbeatMs = options.heartbeatMs ?? 10_000;
  const idleWaiters: (() => void)[] = [];
  /** The last claim found nothing. */
  let lastClaimEmpty = false;
  let claimLoop: Promise<void> = Promise.resolve();

  const claimInput = () => ({ workerId, types, projectId: options.projectId, runGroupId: options.runGroupId });

  /**
   * Claims for the free slots no subscription waits for, until nothing is claimable; then those
   * slots wait on claimedStep. One claim at a time.
   */
  function pump(): void {
    if (!started || stopping || claiming) return;
    claiming = true;
    claimLoop = (async () => {
      try {
        while (!stopping && running.size + slots.size < concurrency) {
          const { claimNextStep } = await client.request(ClaimNextStepDocument, { input: claimInput() });
          lastClaimEmpty = !claimNextStep;
          if (!claimNextStep) {
            idleWaiters.splice(0).forEach((w) => w());
            break;
          }
          // An answer so late that heartbeats took its step for lost: it went back, not run.
          if (isKnown(claimNextStep.id, claimNextStep.version)) continue;
          if (stopping) {
            // Claimed while stop() began: hand it back at once (no handler ran: no attempt).
            await handBack(claimNextStep.id, claimNextStep.version, stoppingMessage);
            break;
          }
          launch(toStep(claimNextStep), claimNextStep.version);
        }
      } catch (e) {
        warn('claiming failed; the next poll tries again', e);
      } finally {
        claiming = false;
      }
      // Nothing was claimable: the free slots wait on the server. Work committed since the empty
      // claim is found by the subscription's own first look.
      if (lastClaimEmpty) openSlots();
    })();
  }

  function openSlots(): void {
    while (started && !stopping && running.size + slots.size < concurrency) openSlot();
  }

  function openSlot(): void {
    let closed = false;
    const close = () => {
      closed = true;
      slots.delete(unsubscribe);
    };
    const unsubscribe = client.subscribe(
      ClaimedStepDocument,
      { input: claimInput() },
      {
        next: ({ claimedStep }) => {
          if (closed) return;
          close();
          // A push so late that heartbeats took its step for lost: it went back, not run. A
          // newer claim of a step being handed back is a new claim, and runs.
          if (isKnown(claimedStep.id, claimedStep.version)) {
            pump();
            return;
          }
          if (stopping) {
            void handBack(claimedStep.id, claimedStep.version, stoppingMessage);
            return;
          }
          launch(toStep(claimedStep), claimedStep.version);
        },
        error: (e) => {
          close();
          // The poll covers the slot meanwhile (pump claims for slots no subscription holds).
          if (!slotsRefused) warn('claimedStep failed; polling until it works again', e);
          slotsRefused = true;
        },
        complete: () => {
          if (closed) return;
          close();
          // Ended without a step (the server is stopping): look again.
          pump();
        },
      },
    );
    slots.add(unsubscribe);
    if (closed) slots.delete(unsubscribe);
  }

  function closeSlots(): void {
    for (const unsubscribe of [...slots]) unsubscribe();
    slots.clear();
  }

  /**
   * Reports a status. A CONFLICT means the step is not ours any more (cancelled, taken over, or
   * an earlier attempt of this very report landed); so does NOT_FOUND (its group was deleted). Any other failure is retried: a report
   * given up on would leave the step RUNNING under a worker that keeps checking in, so its
   * lease would never expire. A result the server refuses (BAD_USER_INPUT) becomes an ERROR.
   */
  async function report(
    stepId: string,
    expectedVersion: number,
    status: 'COMPLETED' | 'ERROR',
    extra: { message?: string; meta?: Record<string, unknown> },
  ): Promise<void> {
    let fallback = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.request(ReportStepStatusDocument, {
          input: { stepId, status, workerId, expectedVersion, message: extra.message, meta: extra.meta },
        });
        return;
      } catch (e) {
        if (isGone(e)) return;
        const refused = e instanceof RunledgerError && e.errors.some((x) => x.extensions?.code === 'BAD_USER_INPUT');
        if (refused && status === 'COMPLETED') {
          status = 'ERROR';
          extra = { message: clip(`the server refused the handler's result: ${messageOf(e)}`) };
          continue;
        }
        // An ERROR refused as it was (its meta): the attempt still counts, told in a few words.
        if (refused && !fallback) {
          fallback = true;
          extra = { message: clip(`the server refused the handler's error: ${messageOf(e)}`) };
          continue;
        }
        if (refused || attempt + 1 >= SEND_ATTEMPTS) {
          warn(`reporting step ${stepId} ${status} failed; giving up`, e);
          return;
        }
        warn(`reporting step ${stepId} ${status} failed; retrying`, e);
        await backOff(attempt);
      }
    }
  }

  const stoppingMessage = `claimed while worker ${workerId} was stopping; handed back unrun (not an attempt)`;
  const neverReceivedMessage = `held by the server for worker ${workerId}, which never received it (its claimedStep push was lost); handed back unrun (not an attempt)`;

  /**
   * Hands back a step no handler of ours ran (releaseStep: claimable again, no attempt counted).
   * Retried as a report is, for the same reason; CONFLICT or NOT_FOUND means the step is not
   * ours any more (taken over, cancelled, already handed back), and that is the end of it.
   */
  function handBack(stepId: string, expectedVersion: number, message: string): Promise<void> {
    const pending = handBacks.get(stepId);
    if (pending) return pending;
    remember(stepId, expectedVersion);
    const done = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.request(ReleaseStepDocument, { input: { stepId, workerId, expectedVersion, message } });
          return;
        } catch (e) {
          if (isGone(e)) return;
          if (attempt + 1 >= SEND_ATTEMPTS) {
            warn(`handing back step ${stepId} failed; giving up`, e);
            return;
          }
          warn(`handing back step ${stepId} failed; retrying`, e);
          await backOff(attempt);
        }
      }
    })().finally(() => handBacks.delete(stepId));
    handBacks.set(stepId, done);
    return done;
  }

  function contextFor(step: WorkerStep, signal: AbortSignal): StepContext {
    const recordLlmCall = async (input: Omit<RecordLlmCallInput, 'stepId' | 'runId'>) => {
      const { recordLlmCall } = await client.request(RecordStepLlmCallDocument, {
        input: { ...input, stepId: step.id },
      });
      return { id: recordLlmCall.id };
    };
    return {
      signal,
      workerId,
      recordLlmCall,
      async llm(request, call) {
        const startedAt = new Date();
        const t0 = performance.now();
        let firstTokenMs: number | undefined;
        const base = {
          provider: request.provider,
          model: request.model,
          operation: request.operation ?? 'CHAT',
          prompt: request.prompt,
          params: request.params,
          startedAt: startedAt.toISOString(),
        };
        let outcome: LlmOutcome;
        let partial = '';
        try {
          const result = call(signal);
          if (isAsyncIterable(result)) {
            outcome = { response: '' };
            for await (const chunk of result) {
              firstTokenMs ??= Math.round(performance.now() - t0);
              const { text, ...usage } = chunk;
              if (text) partial += text;
              outcome = { ...outcome, ...usage };
            }
            outcome.response = partial;
          } else outcome = await result;
        } catch (error) {
          await recordLlmCall({
            ...base,
            response: partial || undefined,
            latencyMs: Math.round(performance.now() - t0),
            timeToFirstTokenMs: firstTokenMs,
            status: 'ERROR',
            errorMessage: messageOf(error),
          });
          throw error;
        }
        await recordLlmCall({
          ...base,
          response: outcome.response,
          promptTokens: outcome.promptTokens,
          completionTokens: outcome.completionTokens,
          costUsd: outcome.costUsd,
          usageDetails: outcome.usageDetails,
          latencyMs: Math.round(performance.now() - t0),
          timeToFirstTokenMs: firstTokenMs,
          status: 'SUCCESS',
        });
        return outcome;
      },
      async storeFile(input) {
        const binary = typeof input.content !== 'string';
        const { storeFile } = await client.request(StoreStepFileDocument, {
          input: {
            stepId: step.id,
            kind: input.kind,
            mimeType: input.mimeType,
            encoding: binary ? 'BASE64' : 'UTF8',
            content: binary ? Buffer.from(input.content as Uint8Array).toString('base64') : (input.content as string),
          },
        });
        return { id: storeFile.id, path: storeFile.path };
      },
    };
  }

  function launch(step: WorkerStep, version: number): void {
    const controller = new AbortController();
    const entry: Running = {
      step,
      version,
      controller,
      claimedAt: performance.now(),
      settled: false,
      done: Promise.resolve(),
    };
    running.set(step.id, entry);
    remember(step.id, version);
    startHeartbeat();
    entry.done = (async () => {
      let outcome: { status: 'COMPLETED' | 'ERROR'; message?: string; meta?: Record<string, unknown> };
      try {
        // The handler's type matches the step's: claims ask only for types with a handler.
        const handler = options.handlers[step.type] as StepHandler<StepType>;
        const result = await handler(step, contextFor(step, controller.signal));
        outcome = { status: 'COMPLETED', message: result?.message, meta: result?.statusMeta };
      } catch (error) {
        outcome = { status: 'ERROR', message: clip(messageOf(error)) };
      }
      if (!entry.settled) {
        entry.settled = true;
        await report(step.id, version, outcome.status, outcome);
      }
    })().finally(() => {
      running.delete(step.id);
      if (running.size === 0) stopHeartbeat();
      pump();
    });
  }

  /**
   * The server says a step was taken from us (cancelled, taken over, failed as lost): its
   * handler's signal aborts now. The step stays unsettled, so what the handler then returns or
   * throws is reported as usual, with the claim's expectedVersion: a CONFLICT (ignored) when the
   * step really is gone, and a normal report should the signal ever concern an earlier claim of
   * the same step, so a stale signal can cost an attempt but never strand a step.
   */
  function revoked(stepId: string, reason: StepRevocationReason, message: string | null | undefined): void {
    const entry = running.get(stepId);
    if (!entry || entry.settled || entry.controller.signal.aborted) return;
    const why =
      reason === 'CANCELLED'
        ? 'was cancelled'
        : reason === 'TAKEN_OVER'
          ? 'was taken over by another worker'
          : 'failed: this worker was taken for lost';
    entry.controller.abort(new Error(`step ${stepId} ${why}${message ? ` (${message})` : ''}`));
  }

  /** Aborts a step that is not ours any more (cancelled, or taken over): nothing is reported. */
  function revoke(entry: Running, reason: string): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.controller.abort(new Error(reason));
  }

  /** One heartbeat at a time: each answer is compared with the one before it. */
  function heartbeat(): Promise<void> {
    heartbeatInFlight ??= checkInAndCompare().finally(() => (heartbeatInFlight = null));
    return heartbeatInFlight;
  }

  async function checkInAndCompare(): Promise<void> {
    // Sent even when claims and reports checked in lately: those keep the lease, but only the
    // heartbeat's answer tells which steps are still ours. A handler that never returns (it waits
    // for its signal) has no report to learn from, so skipping it left cancelled steps running.
    const sentAt = performance.now();
    try {
      const { workerCheckin } = await client.request(WorkerHeartbeatDocument, {
        id: workerId,
        projectId: options.projectId,
      });
      const held = new Map(workerCheckin.activeSteps.map((s) => [s.id, s.version]));
      for (const entry of running.values()) {
        // A step claimed while the heartbeat was on its way is not in its answer, yet ours.
        if (entry.claimedAt < sentAt && !held.has(entry.step.id))
          revoke(entry, `step ${entry.step.id} is no longer held by ${workerId} (cancelled or taken over)`);
      }
      // Held for us, yet unknown: a push lost with its subscription (a reconnect, stop(), or a
      // race with the client's complete), which nothing else would ever free while this worker
      // checks in. Handed back only when two answers in a row show it at the same version: the
      // first may name a step whose push is still on its way. A push that comes after all the
      // same is of the version handed back, and `known` drops it; a newer claim of the step
      // runs. A step this worker ran (its report lost or refused) is known too: never handed
      // back as no attempt.
      const unknown = new Map<string, number>();
      for (const [id, version] of held) {
        if (running.has(id) || handBacks.has(id) || isKnown(id, version)) continue;
        if (unknownHeld.get(id) === version) void handBack(id, version, neverReceivedMessage);
        else unknown.set(id, version);
      }
      unknownHeld = unknown;
    } catch (e) {
      warn('heartbeat failed', e);
    }
  }

  /**
   * stop()'s last look, once no slot, claim or handler of ours can still take a step: every step
   * the server holds for us that we do not run was lost on its way, and goes back now.
   */
  async function handBackUnknown(): Promise<void> {
    try {
      const { workerCheckin } = await client.request(WorkerHeartbeatDocument, {
        id: workerId,
        projectId: options.projectId,
      });
      for (const s of workerCheckin.activeSteps)
        if (!running.has(s.id) && !isKnown(s.id, s.version)) void handBack(s.id, s.version, neverReceivedMessage);
    } catch (e) {
      warn('the last check-in failed: steps lost on their way to this worker wait for its lease', e);
    }
  }

  function startHeartbeat(): void {
    if (heartbeatTimer) return;
    heartbeatTimer = setInterval(() => void heartbeat(), heartbeatMs);
  }

  function stopHeartbeat(): void {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatTimer = null;
  }

  const worker: RunledgerWorker = {
    workerId,
    get running() {
      return running.size;
    },

    async start() {
      if (started) throw new Error('the worker is already started');
      started = true;
      // The first check-in tells the lease, which sets the heartbeat.
      const { workerCheckin } = await client.request(WorkerHeartbeatDocument, {
        id: workerId,
        projectId: options.projectId,
      });
      if (options.heartbeatMs === undefined) heartbeatMs = Math.min(10_000, (workerCheckin.leaseSeconds * 1000) / 3);
      // Nothing runs here yet: a step the server holds for this worker id was lost by an earlier
      // process of the same name (a claim whose answer never arrived). Checking in again just
      // renewed its lease, so it would wait for that lease; it goes back now instead.
      for (const s of workerCheckin.activeSteps) void handBack(s.id, s.version, neverReceivedMessage);
      // Before the first claim; it lasts until the client is disposed, after the last handler
      // (stop()'s grace period included).
      client.subscribe(
        StepsRevokedDocument,
        { workerId, projectId: options.projectId },
        {
          next: ({ stepsRevoked: r }) => revoked(r.stepId, r.reason, r.statusMessage),
          error: (e) => warn('the revocation subscription was refused; only heartbeats tell of revoked steps now', e),
        },
      );
      // A safety net: the server's claimedStep looks for steps of lost workers itself, and this
      // poll claims only for slots no subscription holds (claimedStep failed). Idle, the worker
      // never checks in (idle means silent): a step lost on its way to a waiting slot is the
      // server's once the lease the claim renewed runs out, with no other step to renew it.
      pollTimer = setInterval(
        pump,
        options.pollIntervalMs ?? Math.max(30_000, (workerCheckin.leaseSeconds * 1000) / 2),
      );
      if (options.handleSignals) watchSignals(worker);
      pump();
    },

    async stop() {
      if (!started || stopping) return;
      stopping = true;
      signalled.delete(worker);
      // A slot's claim in flight on the server rolls back once its subscriber is gone.
      closeSlots();
      if (pollTimer) clearInterval(pollTimer);
      const all = [...running.values()];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, options.stopGraceMs ?? 10_000)));
      await Promise.race([Promise.all(all.map((e) => e.done)), grace]);
      clearTimeout(timer);
      await Promise.all(
        [...running.values()].map(async (entry) => {
          if (entry.settled) return entry.done;
          entry.settled = true;
          entry.controller.abort(new Error(STOPPED_MESSAGE));
          await report(entry.step.id, entry.version, 'ERROR', { message: STOPPED_MESSAGE });
        }),
      );
      // A claim in flight when stop() began hands its step back itself; wait for it.
      await claimLoop;
      stopHeartbeat();
      await heartbeatInFlight;
      await handBackUnknown();
      await Promise.all([...handBacks.values()]);
      await client.dispose();
    },

    idle() {
      // Idle already: nothing running, no claim in flight, and the last one found nothing.
      if (lastClaimEmpty && !claiming && running.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
  return worker;
}
