/**
 * A subscription's consumer fell behind: more than its limit of values waited for it (or, in a
 * replay, were held back for it). The transport closes the subscriber (WebSocket: 4008) and the
 * client resumes from the last cursor it received.
 */
class SubscriberBehind extends Error {
  constructor() {
    super('the subscriber reads too slowly; resume with the last cursor');
  }
}

/**
 * An async iterator fed by pushes, for one subscription. `return()` ends it at once, even while
 * a `next()` is waiting (an async generator would wait for its next value first, keeping the
 * subscription alive after the client left).
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | null = null;
  private closed = false;
  private failure: unknown = null;
  /** A producer waiting for the queue to shrink (replays: see `below`). */
  private shrinkWaiter: { under: number; resolve(): void } | null = null;

  /**
   * @param onClose runs once, when the iterator ends for any reason.
   * @param maxBuffered values waiting for a slow consumer before the subscription fails
   *   (SUBSCRIPTION_MAX_QUEUED_EVENTS).
   * @param onBehind runs when it failed for that reason: the transport closes the subscriber,
   *   whose consumer may be stuck on a socket that takes nothing and never read the failure.
   */
  constructor(
    private readonly onClose: () => void,
    private readonly maxBuffered = 2000,
    private readonly onBehind?: () => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Values waiting for the consumer. */
  get length(): number {
    return this.items.length;
  }

  /** Resolves once fewer than `under` values wait (or the queue closed): a producer's backpressure. */
  below(under: number): Promise<void> {
    if (this.closed || this.items.length < under) return Promise.resolve();
    return new Promise((resolve) => (this.shrinkWaiter = { under, resolve }));
  }

  /** The consumer is too far behind (SubscriberBehind): fails the queue and tells the transport. */
  behind(): void {
    if (this.closed) return;
    this.fail(new SubscriberBehind());
    this.onBehind?.();
  }

  push(item: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.items.length > this.maxBuffered) this.behind();
  }

  /** Ends after the values already pushed have been read. */
  end(): void {
    if (this.closed) return;
    if (this.items.length === 0) this.close();
    else this.items.push(END as T);
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.items.length = 0;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(error);
    }
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) {
      const item = this.items.shift()!;
      if (this.shrinkWaiter && this.items.length < this.shrinkWaiter.under) {
        const w = this.shrinkWaiter;
        this.shrinkWaiter = null;
        w.resolve();
      }
      if (item === END) {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) {
      const e = this.failure;
      this.failure = null;
      return Promise.reject(e);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shrinkWaiter?.resolve();
    this.shrinkWaiter = null;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: undefined, done: true });
    }
    this.onClose();
  }
}

const END = Symbol('end');
