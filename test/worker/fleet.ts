// A worker process for test/worker/fleet.test.ts: WORKERS workers of the SDK, handlers for
// TYPES. A step's config says how its handler behaves:
// - { behaviour: 'normal' }: deterministic by step id: about 4% fail once (then succeed on the
//   retry), and about 2% of the STORE steps fail every time;
// - { behaviour: 'hang' }: runs until its signal aborts it;
// - { behaviour: 'hangFirst' }: hangs in a process started with FLEET_HANG_FIRST=1, else normal.
// Prints one line per handler start and abort, which the test reads.
import WebSocket from 'ws';
import { createRunledgerWorker, type StepHandler, type StepType } from '../../src/client';

const env = process.env;
const name = env.FLEET_NAME!;
const types = env.FLEET_TYPES!.split(',') as StepType[];

/** 0..49, fixed per step (from the random end of its id: the start is a timestamp). */
const bucket = (stepId: string) => parseInt(stepId.slice(-8), 16) % 50;

const handler: StepHandler<StepType> = async (step, ctx) => {
  console.log(`start ${ctx.workerId} ${step.id} ${step.retry}`);
  const behaviour = (step.config as { behaviour?: string } | null)?.behaviour ?? 'normal';
  if (behaviour === 'hang' || (behaviour === 'hangFirst' && env.FLEET_HANG_FIRST === '1')) {
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    console.log(`abort ${ctx.workerId} ${step.id} ${(ctx.signal.reason as Error).message}`);
    throw ctx.signal.reason;
  }
  const b = bucket(step.id);
  if (b < 2 && step.retry === 0) throw new Error('transient failure');
  if (b === 2 && step.type === 'STORE') throw new Error('permanent failure');
  return { statusMeta: { by: ctx.workerId } };
};

const workers = Array.from({ length: Number(env.FLEET_WORKERS ?? 4) }, (_, n) =>
  createRunledgerWorker({
    url: env.FLEET_URL!,
    apiKey: env.FLEET_KEY!,
    workerId: `${name}-${n}`,
    projectId: env.FLEET_PROJECT,
    concurrency: Number(env.FLEET_CONCURRENCY ?? 2),
    handlers: Object.fromEntries(types.map((t) => [t, handler])),
    heartbeatMs: Number(env.FLEET_HEARTBEAT_MS ?? 1500),
    pollIntervalMs: Number(env.FLEET_POLL_MS ?? 500),
    stopGraceMs: Number(env.FLEET_GRACE_MS ?? 300),
    handleSignals: true,
    webSocketImpl: WebSocket,
  }),
);

void Promise.all(workers.map((w) => w.start())).then(() => console.log('ready'));
