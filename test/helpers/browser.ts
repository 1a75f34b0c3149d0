// Finds a Chromium-family browser for the explorer test the usual ways, so `npm test` works on
// a machine without Debian's /usr/bin/chromium (a Mac, a laptop, a fresh VM).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const MACOS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export const HOW_TO_ENABLE =
  'Install Chromium or Google Chrome (e.g. `apt-get install chromium`), or set CHROMIUM_PATH to its executable.';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type BrowserLookup = { path: string; reason?: undefined } | { path?: undefined; reason: string };

/** `CHROMIUM_PATH` when set (it must exist), else the first browser on PATH, else macOS's usual places. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): BrowserLookup {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    return executable(explicit)
      ? { path: explicit }
      : { reason: `CHROMIUM_PATH is set to ${explicit}, which is not an executable file.` };
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of ON_PATH) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (executable(candidate)) return { path: candidate };
    }
  }
  for (const candidate of MACOS) if (executable(candidate)) return { path: candidate };
  return {
    reason: `No browser found (looked for CHROMIUM_PATH, ${ON_PATH.join('/')} on PATH and macOS's Applications).`,
  };
}
