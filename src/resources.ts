/**
 * What a composition root has created, released in the reverse order of creation: the last
 * thing made (it may use everything before it) is the first one stopped.
 */
export class Resources {
  private readonly releases: (() => Promise<void> | void)[] = [];

  /** Registers how to release what was just created; returns the value for chaining. */
  add<T>(value: T, release: (value: T) => Promise<void> | void): T {
    this.releases.push(() => release(value));
    return value;
  }

  /** Releases everything, newest first; every release runs even when one fails. */
  async release(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const release of this.releases.splice(0).reverse()) {
      try {
        await release();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
