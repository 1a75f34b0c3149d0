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

  /**
   * @param onClose runs once, when the iterator ends for any reason.
   * @param maxBuffered values waiting for a slow consumer before the subscription fails.
   */
  constructor(
    private readonly onClose: () => void,
    private readonly maxBuffered = 10_000,
  ) {}

  get isClosed(): boolean {
    return this.closed;
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
    if (this.items.length > this.maxBuffered)
      this.fail(new Error('the subscriber reads too slowly; resume with the last cursor'));
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
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: undefined, done: true });
    }
    this.onClose();
  }
}

const END = Symbol('end');
