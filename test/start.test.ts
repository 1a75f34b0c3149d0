// `npm start` as a new user runs it: a child process on an embedded PostgreSQL of its own.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess } from './helpers/process';

interface Started {
  child: ChildProcess;
  url: string;
  key: string;
  exited: Promise<number | null>;
}

const children = new Map<ChildProcess, Promise<number | null>>();

async function start(dataDir: string): Promise<Started> {
  // No DATABASE_URL and no ADMIN_API_KEY: the embedded dev mode, with its printed dev key.
  const server = await startServerProcess(
    { RUNLEDGER_DATA_DIR: dataDir, DATABASE_URL: undefined, ADMIN_API_KEY: undefined },
    /Authorization: Bearer (\S+)/,
  );
  children.set(server.child, server.exited);
  return {
    child: server.child,
    url: server.url,
    key: /Authorization: Bearer (\S+)/.exec(server.output)![1]!,
    exited: server.exited,
  };
}

async function query(server: Started, q: string, key = server.key) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: q }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const NESTED = `{ runGroups(first: 2) { nodes { name status progress { total completed fractionDone }
  runs(first: 100) { totalCount nodes { document { hash uris(first: 5) { uri version history(first: 5) { version } } }
    steps(first: 5) { name status worker { id isStale } llmCalls(first: 3) { model totalTokens promptFile { sizeBytes } responseFile { sizeBytes } } } } } } }
  workers { id isStale } }`;

describe('npm start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-start-'));
  });
  afterAll(async () => {
    // A failed assertion must not leave a server (and its PostgreSQL) behind.
    for (const [child, exited] of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves demo data on an embedded PostgreSQL, stops cleanly, and survives a SIGKILL', async () => {
    const first = await start(dataDir);
    const res = await query(first, NESTED);
    expect((await query(first, '{ projects { totalCount } }', 'wrong-key')).errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
    expect(res).toSucceed();
    const byName = (name: string) => res.data.runGroups.nodes.find((g: any) => g.name === name);
    const finished = byName('initial ingest');
    const inFlight = byName('reprocess with OCR');
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { total: 20, completed: 20, fractionDone: 1 } });
    expect(inFlight.status).toBe('RUNNING');
    const stepStatuses = new Set(inFlight.runs.nodes.flatMap((r: any) => r.steps.map((s: any) => s.status)));
    expect([...stepStatuses].sort()).toEqual(['CANCELLED', 'COMPLETED', 'ERROR', 'FAILED', 'PENDING', 'RUNNING']);
    const versions = finished.runs.nodes.flatMap((r: any) => r.document.uris.map((u: any) => u.history.length));
    expect(Math.max(...versions)).toBe(3);
    expect(res.data.workers.map((w: any) => w.isStale).sort()).toEqual([false, true]);
    const calls = finished.runs.nodes.flatMap((r: any) => r.steps.flatMap((s: any) => s.llmCalls));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0].promptFile.sizeBytes).toBeGreaterThan(0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    // The data is kept and not seeded twice; a SIGKILL leaves PostgreSQL running...
    const second = await start(dataDir);
    expect(second.key).toBe(first.key); // the dev key is kept in the data dir
    expect((await query(second, '{ projects { totalCount } }')).data.projects.totalCount).toBe(1);
    second.child.kill('SIGKILL');
    await second.exited;
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    // ...and the next start takes over anyway.
    const third = await start(dataDir);
    expect((await query(third, '{ projects { totalCount } }')).data.projects.totalCount).toBe(1);
    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
