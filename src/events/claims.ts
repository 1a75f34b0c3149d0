import type { ClaimStepInput, StepType } from '../__generated__/resolvers-types';
import { rawRows } from '../db/raw';
import { withStepRows, type StepRows } from '../loaders';
import { assertUuid } from '../graphql/ids';
import type * as G from '../graphql/mappers';
import { canonicalJson } from '../services/canonical';
import type { ServiceContext } from '../services/context';
import type { ClaimableHint } from '../services/lifecycleEvents';
import { claimNextStep, releaseStep } from '../services/steps';
import { assertWorkerId } from '../services/workers';
import type { EventBus } from './bus';
import { PushQueue } from './queue';
import { workStream, type WorkSignal, type WorkSource } from './work';

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
  private turn = false;
  /** A signal came during a turn: its claims may have looked before that commit. */
  private again = false;
  private signals: PushQueue<WorkSignal>;
  private readonly scope: ClaimSource['scope'];
  private closed = false;
  /** The last claim passed over locked claimable steps: the room looks again after this wait. */
  private relook: ReturnType<typeof setTimeout> | null = null;
  private relookMs = RELOOK_FIRST_MS;

  constructor(
    source: ClaimSource,
    private readonly filter: { projectId: string | null; runGroupId: string | null; stepTypes: StepType[] | null },
    private readonly onEmpty: () => void,
    /** No event tells of a claim rolled back: other rooms whose claims skipped its step must look. */
    private readonly onRolledBack: () => void,
  ) {
    // The room's signals follow the first subscriber's scope: every waiter shares it (the key).
    const follow = () =>
      workStream(
        { db: source.db, scope: source.scope, bus: source.bus },
        { projectId: filter.projectId, runGroupId: filter.runGroupId, stepTypes: filter.stepTypes },
        // A hinted event's signal is skipped before its types are looked up (one statement fewer).
        (key) => this.hinted.consume(key),
      );
    let signals = follow();
    this.signals = signals;
    this.scope = source.scope;
    void (async () => {
      for (;;) {
        try {
          for await (const signal of signals) if (signal) this.wake();
          return;
        } catch {
          // The stream failed (a type lookup's statement did): it stopped for good, and its
          // waiters would never hear of work again. The room follows the log with a new stream,
          // and looks once the database had a moment (the signal being looked up is lost; what
          // failed the lookup, a lock or an overload, would fail a claim sent at once).
          if (this.closed) return;
          this.signals = signals = follow();
          this.lookAfterFailure();
        }
      }
    })();
  }

  /** Changes of this process that made steps claimable, told before the log delivers them. */
  private readonly hinted = new Hints();

  /** A change of this process made steps claimable (see ClaimableHint): look now if they may be ours. */
  hint(hint: ClaimableHint): void {
    if (this.closed) return;
    const { projectId, runGroupId } = this.filter;
    if (projectId && projectId !== hint.projectId) return;
    if (runGroupId && runGroupId !== hint.runGroupId) return;
    if (this.scope.projectIds !== null && !this.scope.projectIds.includes(hint.projectId)) return;
    // The log's signal for the same event comes later, with the types the hint names: it finds
    // nothing this look did not, and, of types this room does not take, nothing at all. Either
    // way the room skips it, before its types are looked up.
    this.hinted.add(hint.key);
    if (hint.types.some((type) => this.mayClaim({ ...hint, type }))) this.wake();
  }

  /** This room's claims may take `lost` over (its filter and scope). */
  mayClaim(lost: LostStep): boolean {
    const { projectId, runGroupId, stepTypes } = this.filter;
    if (projectId && projectId !== lost.projectId) return false;
    if (runGroupId && runGroupId !== lost.runGroupId) return false;
    if (stepTypes && !stepTypes.includes(lost.type)) return false;
    return this.scope.projectIds === null || this.scope.projectIds.includes(lost.projectId);
  }

  /** The projects this room's claims may take steps from; null for any. */
  get projects(): readonly string[] | null {
    return this.filter.projectId ? [this.filter.projectId] : this.scope.projectIds;
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
    if (this.relook) clearTimeout(this.relook);
    void this.signals.return();
    this.onEmpty();
  }

  wake(): void {
    if (this.turn) {
      this.again = true;
      return;
    }
    this.turn = true;
    // claimFor settles every claim's failure itself.
    void this.takeTurns();
  }

  private async takeTurns(): Promise<void> {
    try {
      do {
        this.again = false;
        while (this.waiters.length > 0) {
          const waiter = this.waiters[0]!;
          const outcome = await this.claimFor(waiter);
          if (outcome === 'empty' || outcome === 'last') break;
        }
      } while (this.again && this.waiters.length > 0);
    } finally {
      // In the same microtask as the last check of `again`: a wake-up cannot fall in between
      // (it did when this ran in a .finally() of the turn's promise).
      this.turn = false;
      if (this.waiters.length === 0) this.close();
    }
  }

  /** After a failed signal stream: one look, STREAM_RELOOK_MS later. */
  private lookAfterFailure(): void {
    const timer = setTimeout(() => {
      if (!this.closed) this.wake();
    }, STREAM_RELOOK_MS);
    timer.unref();
  }

  /**
   * Every claimable step was locked by another transaction. A claim or a report that commits
   * tells the room with its event; one that rolls back tells nobody, and its step would wait
   * for a signal that never comes. So the room looks again, waiting longer each time the locks
   * are still held (a long transaction costs a claim per second at most).
   */
  private lookAgainLater(): void {
    if (this.relook || this.closed) return;
    const wait = this.relookMs;
    this.relookMs = Math.min(RELOOK_MAX_MS, wait * 2);
    this.relook = setTimeout(() => {
      this.relook = null;
      if (!this.closed) this.wake();
    }, wait);
    this.relook.unref();
  }

  /**
   * 'claimed', 'last' and 'gone' take the waiter out of the room; 'empty' leaves it first in
   * line. 'last': claimed, and nothing else was claimable as of the claim's snapshot, so the
   * turn ends without a claim that would find nothing (later work signals on its own).
   */
  private async claimFor(waiter: Waiter): Promise<'claimed' | 'last' | 'empty' | 'gone'> {
    const { source, queue } = waiter;
    const wanted = () => !queue.isClosed && (!source.admitted || source.admitted());
    if (!wanted()) {
      this.remove(waiter);
      return 'gone';
    }
    let step: G.Step | null;
    /** The claim had a step locked and rolled back: rooms that skipped it (SKIP LOCKED) look again. */
    let rolledBack = false;
    let skipped = false;
    /** Nothing else was claimable for this room as of the claim: the turn may end with it. */
    let last = false;
    let rows: StepRows | undefined;
    try {
      // A subscriber that left (or whose key was revoked) while the claim waited for locks:
      // its claim rolls back instead of committing a step nobody will run.
      step = await claimNextStep(source, waiter.input, {
        wanted: () => {
          const ok = wanted();
          if (!ok) rolledBack = true;
          return ok;
        },
        onSkipped: () => (skipped = true),
        onLast: () => (last = true),
        // The push waits for nobody's log: the worker needs the step, not its event's position.
        beforeAnnounced: true,
        onRows: (read) => (rows = read),
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
      if (skipped) this.lookAgainLater();
      else this.relookMs = RELOOK_FIRST_MS;
      return 'empty';
    }
    this.relookMs = RELOOK_FIRST_MS;
    if (!wanted()) {
      // Left between the check before the commit and now: hand the step back at once. Left
      // RUNNING, a worker that keeps checking in for its other steps would hold it forever.
      // Not an attempt (nothing ran): with maxRetries 0 it would otherwise be FAILED unrun.
      // Nothing is awaited between the commit and here, so no test can force this window.
      await releaseStep(source, {
        stepId: step.id,
        workerId: waiter.input.workerId,
        expectedVersion: step.version,
        message: NOT_DELIVERED,
      }).catch(() => undefined);
      this.remove(waiter);
      return 'claimed';
    }
    queue.push(rows && rows.run.id === step.runId ? withStepRows(step, rows) : step);
    queue.end();
    this.remove(waiter);
    return last ? 'last' : 'claimed';
  }
}

/** How long a hint stands in for its event's signal from the log (normally a few ms away). */
const HINT_MS = 2000;
/** Hints a room keeps at most (their signals lost, or filtered out by a type lookup). */
const MAX_HINTS = 1000;

/**
 * Keys of events a room was hinted of, each until the log's signal for it comes (consumed once)
 * or HINT_MS pass: the signal then wakes the room as any other does.
 */
class Hints {
  private readonly at = new Map<string, number[]>();

  add(key: string): void {
    const now = performance.now();
    const times = this.at.get(key);
    if (times) times.push(now);
    else {
      if (this.at.size >= MAX_HINTS) this.at.delete(this.at.keys().next().value!);
      this.at.set(key, [now]);
    }
  }

  /** True when `key` was hinted within HINT_MS: that hint stands for this signal. */
  consume(key: string): boolean {
    const times = this.at.get(key);
    if (!times) return false;
    const now = performance.now();
    while (times.length > 0 && now - times[0]! > HINT_MS) times.shift();
    const fresh = times.shift() !== undefined;
    if (times.length === 0) this.at.delete(key);
    return fresh;
  }
}

/** Rows one look for lost workers' steps reads (distinct project, run group and type). */
const LOST_LOOK_ROWS = 1000;
const RELOOK_FIRST_MS = 10;
const STREAM_RELOOK_MS = 100;
const RELOOK_MAX_MS = 1000;

const NOT_DELIVERED = 'claimed for a claimedStep subscriber that left before it was sent (not delivered)';

/** What a RUNNING step of a worker silent past the lease is claimable by. */
interface LostStep {
  projectId: string;
  runGroupId: string;
  type: StepType;
}

/**
 * No signal announces a step whose worker's lease expired. One look per process every half
 * lease, one statement however many filters wait, finds such steps; only the rooms whose claims
 * may take one over wake (each room looking on its own was a claim per filter and look).
 */
class LeaseWatch {
  private timer: ReturnType<typeof setInterval> | null = null;
  private looking = false;

  constructor(private readonly rooms: Map<string, Room>) {}

  /** Looks while there are rooms; `source` gives the pool and the lease (the process's). */
  follow(source: ClaimSource): void {
    if (this.timer) return;
    const leaseSeconds = source.config.workerLeaseSeconds;
    this.timer = setInterval(() => void this.look(source, leaseSeconds), Math.max(1000, (leaseSeconds * 1000) / 2));
    this.timer.unref();
  }

  roomClosed(): void {
    if (this.rooms.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private async look(source: ClaimSource, leaseSeconds: number): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      // Only the projects some room here may claim from: other projects' lost steps, however
      // many, cannot fill the look's rows.
      const projects = new Set<string>();
      let anyProject = false;
      for (const room of this.rooms.values()) {
        const own = room.projects;
        if (own === null) anyProject = true;
        else for (const id of own) projects.add(id);
      }
      const lost = await rawRows<LostStep>(
        source.db,
        `/* claimedStep: lost workers' steps */ select distinct s.project_id, r.run_group_id, s.type
           from worker w
           join step s on s.project_id = w.project_id and s.worker_id = w.id
           join run r on r.id = s.run_id
          where w.last_checkin_at < now() - make_interval(secs => :leaseSeconds) and s.status = 'RUNNING'
            ${anyProject ? '' : 'and w.project_id = any(:projects::uuid[])'}
          limit ${LOST_LOOK_ROWS}`,
        anyProject ? { leaseSeconds } : { leaseSeconds, projects: [...projects] },
      );
      // A full look may have left out the filters some room waits for: every room claims once.
      const all = lost.length >= LOST_LOOK_ROWS;
      for (const room of this.rooms.values()) if (all || lost.some((step) => room.mayClaim(step))) room.wake();
    } catch {
      // The next look tries again (a failing database fails the claims too, which say so).
    } finally {
      this.looking = false;
    }
  }
}

const roomsByBus = new WeakMap<EventBus, { rooms: Map<string, Room>; leases: LeaseWatch }>();

/**
 * A change of this process made steps claimable: its waiting claims that may take them look at
 * once, without waiting for the log (sequencing, then the read) to deliver the event.
 */
export function hintClaimable(bus: EventBus, hint: ClaimableHint): void {
  const ofBus = roomsByBus.get(bus);
  if (!ofBus) return;
  for (const room of ofBus.rooms.values()) room.hint(hint);
}

/** claimedStep subscriptions of this process waiting for a step (idle worker slots). */
export function waitingClaims(bus: EventBus): number {
  let n = 0;
  for (const room of roomsByBus.get(bus)?.rooms.values() ?? []) n += room.waiting;
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
  let ofBus = roomsByBus.get(source.bus);
  if (!ofBus) {
    const created = new Map<string, Room>();
    roomsByBus.set(source.bus, (ofBus = { rooms: created, leases: new LeaseWatch(created) }));
  }
  const { rooms, leases } = ofBus;
  let room = rooms.get(key);
  if (!room) {
    const created = new Room(
      source,
      { projectId, runGroupId, stepTypes },
      () => {
        if (rooms.get(key) === created) rooms.delete(key);
        leases.roomClosed();
      },
      () => {
        for (const other of rooms.values()) if (other !== created) other.wake();
      },
    );
    rooms.set(key, (room = created));
    leases.follow(source);
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
