import { randomInt } from 'node:crypto';

/**
 * Runs `fn` with a seeded random source (mulberry32). The seed is TEST_SEED when set, else drawn
 * afresh; a failure names it, so the same choices can be made again with TEST_SEED=<seed>. Give
 * it a `timeoutMs` below the test's own timeout so that running too long is a failure that names
 * the seed too, not jest's bare timeout.
 */
export async function withSeededRandom<T>(
  fn: (random: () => number) => Promise<T>,
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<T> {
  const seed = process.env.TEST_SEED ? Number(process.env.TEST_SEED) : randomInt(2 ** 31);
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined)
      timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([fn(random), deadline]);
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message}\n(random seed ${seed}: run again with TEST_SEED=${seed})`;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
