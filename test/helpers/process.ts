// `npm start`'s entry point as a child process, as an operator runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_ADMIN_KEY } from './server';

const root = path.resolve(__dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed until it was serving. */
  output: string;
  exited: Promise<number | null>;
}

/**
 * Starts src/index.ts and resolves once it prints its URL (and, when `until` is given, once
 * that matches too). With a DATABASE_URL in `env` the test admin key is accepted.
 */
export function startServerProcess(env: Record<string, string | undefined>, until?: RegExp): Promise<ServerProcess> {
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'warn',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    ...env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: root,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving (http:\/\/\S+\/graphql)/.exec(output);
      if (match && (!until || until.test(output))) resolve({ child, url: match[1]!, output, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code} before serving:\n${output}`)));
  });
}

/** POSTs with the test admin key. */
export async function post(url: string, query: string, variables: Record<string, unknown> = {}, key = TEST_ADMIN_KEY) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}
