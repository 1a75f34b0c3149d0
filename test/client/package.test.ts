// packages/client as another project gets it: built, packed with `npm pack`, installed into an
// empty project, type-checked and run against a real server. Offline: its dependencies are
// packed from this repository's node_modules.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';

const root = path.resolve(__dirname, '../..');
const modules = path.join(root, 'node_modules');
const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** What the other project writes: a worker and a client, nothing from the server. */
const MAIN = `import WebSocket from 'ws';
import {
  CreateBatchDocument, CreateProjectDocument, RunGroupProgressDocument, StartRunGroupDocument,
  createRunledgerClient, createRunledgerWorker,
} from '@runledger/client';

async function main(): Promise<void> {
  const url = process.env.RL_URL!;
  const apiKey = process.env.RL_KEY!;
  const client = createRunledgerClient({ url, apiKey, webSocketImpl: WebSocket });
  const { createProject } = await client.request(CreateProjectDocument, { input: { slug: 'pkg-' + process.pid, name: 'pkg' } });
  const { createBatch } = await client.request(CreateBatchDocument, {
    input: { projectId: createProject.id, name: 'pkg', source: 'pkg', documents: [{ uri: '/a', content: 'YQ==', mimeType: 'text/plain' }, { uri: '/b', content: 'Yg==', mimeType: 'text/plain' }] },
  });
  const worker = createRunledgerWorker({
    url, apiKey, workerId: 'pkg-worker', projectId: createProject.id, concurrency: 2, webSocketImpl: WebSocket,
    handlers: { PARSE: async (step) => ({ statusMeta: { parsed: step.document.hash } }) },
  });
  await worker.start();
  const { startRunGroup } = await client.request(StartRunGroupDocument, {
    input: { batchId: createBatch.id, workflowDefinitionId: 'pkg', steps: [{ name: 'parse', type: 'PARSE' }] },
  });
  let completed = 0;
  await new Promise<void>((resolve, reject) =>
    client.subscribe(RunGroupProgressDocument, { runGroupId: startRunGroup.id }, {
      next: ({ runGroupProgress }) => { completed = runGroupProgress.completed; },
      error: reject,
      complete: resolve,
    }),
  );
  await worker.stop();
  await client.dispose();
  console.log('completed ' + completed);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
`;

describe('the @runledger/client package', () => {
  let s: TestServer;
  let dir: string;
  beforeAll(async () => {
    s = await startTestServer();
    dir = mkdtempSync(path.join(os.tmpdir(), 'runledger-package-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await s.stop();
  });

  it('installs from npm pack into an empty project, where a worker and a client type-check and run', async () => {
    run(process.execPath, [path.join(modules, 'typescript/bin/tsc'), '-p', 'packages/client/tsconfig.json'], root);
    const tarballs = path.join(dir, 'tarballs');
    const pack = (from: string) =>
      path.join(
        tarballs,
        run('npm', ['pack', from, '--pack-destination', tarballs, '--ignore-scripts', '--silent'], root).trim(),
      );
    run('mkdir', ['-p', tarballs], root);
    const ours = pack(path.join(root, 'packages/client'));
    // The project's own dependencies (ws and types for its TypeScript), and ours, from here.
    const deps = [
      'graphql',
      'graphql-ws',
      '@graphql-typed-document-node/core',
      'ws',
      '@types/ws',
      '@types/node',
      'undici-types',
    ].map((name) => pack(path.join(modules, name)));

    const project = path.join(dir, 'project');
    run('mkdir', ['-p', project], root);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ours, ...deps], project);
    // Nothing of the server came along.
    const installed = readdirSync(path.join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual([
      '@graphql-typed-document-node',
      '@runledger',
      '@types',
      'graphql',
      'graphql-ws',
      'undici-types',
      'ws',
    ]);
    const manifest = JSON.parse(
      readFileSync(path.join(project, 'node_modules/@runledger/client/package.json'), 'utf8'),
    );
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@graphql-typed-document-node/core',
      'graphql',
      'graphql-ws',
    ]);

    writeFileSync(path.join(project, 'main.ts'), MAIN);
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          outDir: 'out',
          types: ['node'],
        },
        files: ['main.ts'],
      }),
    );
    // Type-checks with the package's declarations (no skipLibCheck), then runs.
    run(process.execPath, [path.join(modules, 'typescript/bin/tsc'), '-p', 'tsconfig.json'], project);
    // Asynchronously: the server runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['out/main.js'], {
      cwd: project,
      env: { ...process.env, RL_URL: s.url, RL_KEY: TEST_ADMIN_KEY },
    });
    expect(stdout.trim()).toBe('completed 2');

    // A wrong handler fails the other project's type check too.
    writeFileSync(path.join(project, 'main.ts'), MAIN.replace('PARSE: async', 'PARSEE: async'));
    let failure = '';
    try {
      run(process.execPath, [path.join(modules, 'typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], project);
    } catch (e) {
      // tsc prints its diagnostics on stdout.
      failure = String((e as { stdout?: string }).stdout);
    }
    expect(failure).toMatch(/PARSEE/);
  }, 180_000);
});
