import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '..', '..');
export const explorerAssets = path.join(root, 'dist', 'explorer');
const entry = path.join(__dirname, 'browser', 'entry.mjs');

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};

/** True when the bundle exists and is newer than the browser sources. */
function fresh(): boolean {
  const built = path.join(explorerAssets, 'explorer.js');
  if (!existsSync(built)) return false;
  const sources = [entry, path.join(__dirname, 'browser', 'workers.mjs'), path.join(root, 'package-lock.json')];
  const builtAt = statSync(built).mtimeMs;
  return sources.every((s) => !existsSync(s) || statSync(s).mtimeMs <= builtAt);
}

/**
 * Bundles GraphiQL, its CSS and fonts, and Monaco's workers from the installed packages into
 * dist/explorer, so the page needs nothing but the API. Written to a temporary folder first:
 * concurrent builds (test workers) never see half a bundle.
 */
export async function buildExplorer(options: { force?: boolean } = {}): Promise<string> {
  if (!options.force && fresh()) return explorerAssets;
  const tmp = `${explorerAssets}.${process.pid}.${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    legalComments: 'none' as const,
    logLevel: 'error' as const,
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  await build({
    ...common,
    entryPoints: { explorer: entry },
    outdir: tmp,
    format: 'esm',
    splitting: false,
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'dataurl' },
    assetNames: '[name]',
  });
  await build({
    ...common,
    entryPoints: Object.fromEntries(
      Object.entries(WORKERS).map(([name, file]) => [`${name}.worker`, require.resolve(file)]),
    ),
    outdir: tmp,
    format: 'iife',
  });
  rmSync(explorerAssets, { recursive: true, force: true });
  try {
    renameSync(tmp, explorerAssets);
  } catch {
    // Another process renamed its build first: theirs is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
  }
  return explorerAssets;
}

if (require.main === module) {
  const started = Date.now();
  buildExplorer({ force: true }).then(
    (dir) => console.log(`explorer built in ${Date.now() - started} ms: ${dir}`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
