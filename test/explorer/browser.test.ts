/// <reference lib="dom" />
// The explorer in a real headless Chromium: it loads from the API alone, runs a query, and
// shows a live subscription event.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { STEPS, claim, createBatch, createProject, setStatus, startRunGroup } from '../helpers/api';
import { TEST_ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server';
import { until } from '../helpers/wait';
import { HOW_TO_ENABLE, findBrowser } from '../helpers/browser';

const OUTPUT = path.resolve(__dirname, '../../test-output');
const browserFound = findBrowser();
const CHROMIUM = browserFound.path;

if (!CHROMIUM && process.env.CI === 'true') {
  // CI must run the browser test: a missing browser is a failure there, not a skip.
  describe('the explorer in a browser', () => {
    it('has a browser to run in', () => {
      throw new Error(`${browserFound.reason} ${HOW_TO_ENABLE}`);
    });
  });
} else if (!CHROMIUM) {
  console.warn(`Skipping the explorer browser test: ${browserFound.reason} ${HOW_TO_ENABLE}`);
}

(CHROMIUM ? describe : describe.skip)('the explorer in a browser', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];
  let ids: { runId: string; runGroupId: string; batchId: string; stepId: string; projectId: string };

  beforeAll(async () => {
    let examples: typeof ids | undefined;
    s = await startTestServer({
      explorer: { defaultHeaders: { authorization: `Bearer ${TEST_ADMIN_KEY}` }, examples: async () => examples ?? {} },
    });
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 2);
    const group = await startRunGroup(s, batch.id, STEPS);
    const step = await claim(s, 'browser-worker', { projectId: project.id });
    examples = ids = {
      runId: step!.run.id,
      runGroupId: group.id,
      batchId: batch.id,
      stepId: step!.id,
      projectId: project.id,
    };
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const apiHost = new URL(s.url).host;
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.host !== apiHost) foreign.push(req.url());
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const resultText = () => page.$eval('.graphiql-response', (el) => (el as HTMLElement).innerText);

  it('loads offline from the API, runs a query and shows a live subscription event', async () => {
    await page.goto(s.url, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });

    // The first tab holds the run detail query with a real run id: run it.
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('"steps"'), {
      timeout: 30_000,
    });
    expect(await resultText()).toContain('browser-worker');

    // The third tab is the live step status subscription.
    const tabs = await page.$$('.graphiql-tab');
    expect(tabs.length).toBeGreaterThanOrEqual(4);
    await tabs[2]!.click();
    // The tab has switched once it is the active one, its query is in the editor and the first
    // tab's request is no longer running (the button reads "Execute", not "Stop").
    await page.waitForFunction(
      () => {
        const active = document.querySelectorAll('.graphiql-tab')[2]?.classList.contains('graphiql-tab-active');
        const query = document.querySelector('.graphiql-editor')?.textContent?.includes('stepStatusChanged');
        const idle = !document
          .querySelector('.graphiql-execute-button')
          ?.getAttribute('aria-label')
          ?.startsWith('Stop');
        return active && query && idle;
      },
      { timeout: 10_000 },
    );
    let started = 0;
    const stopWatching = s.server.bus.watchListeners(() => void started++);
    await page.click('.graphiql-execute-button');
    await until(() => started > 0, 30_000);
    stopWatching();
    await setStatus(s, ids.stepId, 'COMPLETED');
    await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('COMPLETED'), {
      timeout: 30_000,
    });
    expect(await resultText()).toContain('stepStatusChanged');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'explorer.png') });
    expect(foreign).toEqual([]);
  }, 120_000);
});
