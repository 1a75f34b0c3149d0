// The explorer test finds a browser the usual ways before it decides to skip.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBrowser } from '../helpers/browser';

function fakeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

describe('finding a browser for the explorer test', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runledger-browser-'));

  it('uses CHROMIUM_PATH when it names an executable', () => {
    const file = fakeExecutable(dir, 'my-chrome');
    expect(findBrowser({ CHROMIUM_PATH: file, PATH: '' })).toEqual({ path: file });
  });

  it('reports a CHROMIUM_PATH that is not an executable instead of looking elsewhere', () => {
    const found = findBrowser({ CHROMIUM_PATH: path.join(dir, 'missing'), PATH: dir });
    expect(found.path).toBeUndefined();
    expect(found.reason).toContain('CHROMIUM_PATH');
  });

  it('finds chromium, chromium-browser or google-chrome on PATH', () => {
    const bin = mkdtempSync(path.join(dir, 'bin-'));
    const file = fakeExecutable(bin, 'google-chrome');
    expect(findBrowser({ PATH: ['/nonexistent', bin].join(path.delimiter) })).toEqual({ path: file });
  });

  it('says why when there is none', () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const found = findBrowser({ PATH: empty });
    // On a Mac with Chrome installed the Applications folder is found; anywhere else nothing is.
    if (found.path) expect(found.path).toMatch(/^\/Applications\//);
    else expect(found.reason).toMatch(/No browser found/);
  });
});
