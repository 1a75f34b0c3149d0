// Takes docs/demo-explorer.png: the explorer's StepStatus subscription tab while `npm run demo`
// runs (on a server it starts). Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    demo.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      process.stdout.write(c);
      const m = /Watch it live: open (\S+),/.exec(output);
      if (m) resolve(m[1]!);
    });
    demo.on('exit', (code) => reject(new Error(`the demo exited with ${code}`)));
  });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 860 });
    await page.goto(url, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
    const tabs = await page.$$('.graphiql-tab');
    await tabs[2]!.click();
    await page.waitForFunction(() =>
      document.querySelector('.graphiql-editor')?.textContent?.includes('stepStatusChanged'),
    );
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response')?.textContent?.includes('runGroupProgress'),
      {
        timeout: 30_000,
      },
    );
    // A few seconds of events, mid-run.
    await new Promise((r) => setTimeout(r, 4000));
    await page.screenshot({ path: path.join(root, 'docs/demo-explorer.png') });
    console.log('wrote docs/demo-explorer.png');
  } finally {
    await browser.close();
    demo.kill('SIGINT');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
