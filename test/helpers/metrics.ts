import type { TestServer } from './server';

/** The value of an unlabelled metric on `s`'s /metrics (NaN when it is not there). */
export async function metricValue(s: TestServer, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', s.url))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1) ?? NaN);
}
