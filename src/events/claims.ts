import type { ClaimStepInput, StepType } from '../__generated__/resolvers-types';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { canonicalJson } from '../services/canonical';
import type { ServiceContext } from '../services/context';
import { claimNextStep, releaseStep } from '../services/steps';
import { assertWorkerId } from '../services/workers';
import type { EventBus } from './bus';
import { PushQueue } from './queue';
import { workStream, type WorkSource } from './work';

/** What claimedStep needs of its subscription's context. */
export interface ClaimSource extends ServiceContext, WorkSource {
  bus: EventBus;
}

interface Waiter {
  source: ClaimSource;
  input: ClaimStepInput;
  queue: PushQueue<G.Step>;
}

/**
 * The waiting claims of one filter (project, run group, types and scope) in this process. A
 * work signal wakes one waiter at a time: each that gets a step hands the turn to the next;
 * the first to find nothing ends the turn, as every waiter behind it would find nothing too.
 * A step thus costs one claim, and a signal with nothing left one empty claim, however many
 * workers wait.
 */
class Room {
  private readonly waiters: Waiter[] = [];
  private turn: Promise<void> | null = null;
  /** A signal came during a turn: its claims may have looked before that commit. */
  private again = false;
  private readonly signals: PushQueue<unknown>;
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    source: ClaimSource,
    filter: { projectId: string | null; runGroupId: string | null; stepTypes: StepType[] | null },
    private readonly onEmpty: () => void,
    /** No event tells of a claim rolled back: other rooms whose claims skipped its step must look. */
    private readonly onRolledBack: () => void,
  ) {
    // The room's signals follow the first subscriber's scope: every waiter shares it (the key).
    const signals = workStream(
      { db: source.db, scope: source.scope, bus: source.bus },
      { projectId: filter.projectId, runGroupId: filter.runGroupId, stepTypes: filter.stepTypes },
    );
    this.signals = signals;
    void (async () => {
      for await (const signal of signals) if (signal) this.wake();
    })().catch(() => undefined);
    // No signal announces a step whose worker's lease expired: the room looks every half lease
    // (one claim per room, whatever the number of waiters).
    this.timer = setInterval(() => this.wake(), Math.max(1000, (source.config.workerLeaseSeconds * 1000) / 2));
    this.timer.unref();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  add(waiter: Waiter): void {
    this.waiters.push(waiter);
    // Its first look: there may be claimable work already.
    this.wake();
  }

  remove(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    if (this.waiters.length === 0 && !this.turn) this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    void this.signals.return();
    this.onEmpty();
  }

  wake(): void {
    if (this.turn) {
      this.again = true;
      return;
    }
    this.turn = this.takeTurns().finally(() => {
      this.turn = null;
      if (this.waiters.length === 0) this.close();
    });
  }

  private async takeTurns(): Promise<void> {
    do {
      this.again = false;
      while (this.waiters.length > 0) {
        const waiter = this.waiters[0]!;
        const outcome = await this.claimFor(waiter);
        if (outcome === 'empty') break;
      }
    } while (this.again && this.waiters.length > 0);
  }

  /** 'claimed' and 'gone' take the waiter out of the room; 'empty' leaves it first in line. */
  private async claimFor(waiter: Waiter): Promise<'claimed' | 'empty' | 'gone'> {
    const { source, queue } = waiter;
    const wanted = () => !queue.isClosed && (!source.admitted || source.admitted());
    if (!wanted()) {
      this.remove(waiter);
      return 'gone';
    }
    let step: G.Step | null;
    /** The claim had a step locked and rolled back: rooms that skipped it (SKIP LOCKED) look again. */
    let rolledBack = false;
    try {
      // A subscriber that left (or whose key was revoked) while the claim waited for locks:
      // its claim rolls back instead of committing a step nobody will run.
      step = await claimNextStep(source, waiter.input, {
        wanted: () => {
          const ok = wanted();
          if (!ok) rolledBack = true;
          return ok;
        },
      });
    } catch (e) {
      queue.fail(e);
      this.remove(waiter);
      return 'gone';
    }
    if (rolledBack) this.onRolledBack();
    if (!step) {
      if (!wanted()) {
        this.remove(waiter);
        return 'gone';
      }
      return 'empty';
    }
    if (!wanted()) {
      // Left between the check before the commit and now: hand the step back at once. Left
      // RUNNING, a worker that keeps checking in for its other steps would hold it forever.
      // Not an attempt (nothing ran): with maxRetries 0 it would otherwise be FAILED unrun.
      await releaseStep(source, {
        stepId: step.id,
        workerId: waiter.input.workerId,
        expectedVersion: step.version,
        message: NOT_DELIVERED,
      }).catch(() => undefined);
      this.remove(waiter);
      return 'claimed';
    }
    queue.push(step);
    queue.end();
    this.remove(waiter);
    return 'claimed';
  }
}

const NOT_DELIVERED = 'claimed for a claimedStep subscriber that left before it was sent (not delivered)';

const roomsByBus = new WeakMap<EventBus, Map<string, Room>>();

/** claimedStep subscriptions of this process waiting for a step (idle worker slots). */
export function waitingClaims(bus: EventBus): number {
  let n = 0;
  for (const room of roomsByBus.get(bus)?.values() ?? []) n += room.waiting;
  return n;
}

/**
 * claimedStep: the next step claimed for the worker, once there is one; then the subscription
 * completes. The input is checked at subscribe time, as claimNextStep checks it.
 */
export function claimStream(source: ClaimSource, input: ClaimStepInput): PushQueue<G.Step> {
  assertWorkerId(input.workerId);
  const projectId = input.projectId == null ? null : assertUuid(input.projectId, 'projectId');
  const runGroupId = input.runGroupId == null ? null : assertUuid(input.runGroupId, 'runGroupId');
  const stepTypes = input.types?.length ? [...new Set(input.types)].sort() : null;
  const key = canonicalJson({ claims: { projectId, runGroupId, stepTypes }, scope: source.scope.projectIds });
  let rooms = roomsByBus.get(source.bus);
  if (!rooms) roomsByBus.set(source.bus, (rooms = new Map()));
  let room = rooms.get(key);
  if (!room) {
    const created = new Room(
      source,
      { projectId, runGroupId, stepTypes },
      () => {
        if (rooms.get(key) === created) rooms.delete(key);
      },
      () => {
        for (const other of rooms.values()) if (other !== created) other.wake();
      },
    );
    rooms.set(key, (room = created));
  }
  const theRoom = room;
  const waiter: Waiter = {
    source,
    input,
    queue: new PushQueue<G.Step>(() => theRoom.remove(waiter)),
  };
  theRoom.add(waiter);
  return waiter.queue;
}
