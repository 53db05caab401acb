/// <reference lib="dom" />
// The functions given to page.evaluate and its kin run in the browser, on its DOM.
import type { Browser, Page } from 'puppeteer-core';
import type WebSocket from 'ws';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openBrowser, watchedPage } from '../support/browser';
import { destroyFleet, getJson, newStateDir, startManager, TEST_ENV, waitFor } from '../support/manager';
import { killManager, ManagerProcess, spawnManager } from '../support/manager-process';
import { connectPlayer } from '../support/players';

const TOKEN = 'dashboard-test-token-0123456789';
/** One server of 10 places to begin with; a second once fewer than 4 are free; no drain by the policy below 40 free. */
const FLEET_ENV = { ...TEST_ENV, SERVER_CAPACITY: '10', UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '40', MIN_SERVERS: '1' };
/** Set to a folder to keep screenshots of the page there (DASHBOARD_SCREENSHOTS=docs/images: the README shows a longer run of the same page). */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

const rows = (page: Page) => page.$$eval('#servers tr[data-server]', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-server'), state: tr.querySelector('[data-state]')?.getAttribute('data-state') })));

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/dashboard`);
  await page.waitForSelector('#token', { visible: true });
  await page.type('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#fleet', { visible: true });
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

describe('the operator\'s page, in a real browser', () => {
  let browser: Browser;
  let manager: ManagerProcess | undefined;
  let stateDir: string;
  const players: WebSocket[] = [];

  beforeAll(async () => {
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    stateDir = await newStateDir();
  });

  afterEach(async () => {
    for (const socket of players.splice(0)) socket.terminate();
    if (manager) await killManager(manager, 'SIGTERM');
    manager = undefined;
    await destroyFleet(stateDir);
  });

  async function start(): Promise<ManagerProcess> {
    const started = (manager = await spawnManager({ ...FLEET_ENV, ADMIN_TOKEN: TOKEN, LOCAL_STATE_DIR: stateDir }));
    await waitFor('one ready server', async () => (await getJson<{ server_list: string[] }>(`${started.url}/available-gameserver-list/`).catch(() => undefined))?.body.server_list.length === 1);
    return started;
  }

  async function arrivePlayers(url: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const answer = await getJson<{ available: string }>(`${url}/available-gameserver/`);
      if (answer.status !== 200) throw new Error(`player ${i + 1} got HTTP ${answer.status}`);
      players.push(await connectPlayer(answer.body.available));
    }
  }

  it('signs in with the token, shows the fleet grow as players arrive, drains a server, runs a what-if: no console error', async () => {
    const { url } = await start();
    const { page, errors } = await watchedPage(browser);
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, url);

    await page.waitForFunction(() => document.querySelectorAll('#servers tr[data-server] [data-state="ready"]').length === 1);
    const [first] = await rows(page);

    // 7 players on the first server leave 3 places free, under the margin of 4: a second server comes.
    await arrivePlayers(url, 7);
    await page.waitForFunction(() => document.querySelectorAll('#servers tr[data-server] [data-state="ready"]').length === 2, { timeout: 20_000 });
    expect(await page.$eval(`tr[data-server="${first.id}"] td:nth-child(4)`, (td) => td.textContent)).toBe('7/10');
    // The chart has points, and the servers' chart saw the launch.
    await page.waitForFunction(() => document.querySelectorAll('#places-chart canvas, #servers-chart canvas').length === 2);

    // Draining the first leaves the second's 10 free places: above the margin, so the policy lets it be.
    await page.click(`tr[data-server="${first.id}"] button[data-action="drain"]`);
    await page.waitForSelector(`tr[data-server="${first.id}"] [data-state="draining"]`, { timeout: 10_000 });
    expect(await page.$eval('#message', (p) => p.textContent)).toBe(`drain ${first.id}: now draining`);
    // The decision log, newest first, has the policy's launch of the second server and its reason.
    expect(await page.$$eval('#decisions li', (items) => items.map((li) => li.textContent))).toContainEqual(expect.stringMatching(/launch 1 \(free capacity 3 below upscale margin 4\)/));
    // And, from the pass after it, the operator's drain.
    await page.waitForFunction((id) => [...document.querySelectorAll('#decisions li')].some((li) => li.textContent?.includes(`operator: drain ${id} (operator request)`)), { timeout: 10_000 }, first.id);
    await screenshot(page, 'dashboard.png');

    // What-if on the demand recorded so far: a larger margin, which launches sooner.
    await page.waitForFunction(() => (document.querySelector('#what-if-form [name="UPSCALE_MARGIN"]') as HTMLInputElement | null)?.value === '4');
    await page.$eval('#what-if-form [name="UPSCALE_MARGIN"]', (input) => ((input as HTMLInputElement).value = '8'));
    await page.click('#what-if-form button[type=submit]');
    await page.waitForSelector('#what-if-table tr[data-row]', { timeout: 30_000 });
    const table = await page.$$eval('#what-if-table tr[data-row]', (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-row'), [...tr.querySelectorAll('td')].map((td) => td.textContent)])));
    // Both runs replay the same recorded arrivals: the 7 places handed out.
    expect(table['Players arriving']).toEqual(['7', '7', '=']);
    expect(Number(table['Server-hours'][1])).toBeGreaterThan(0);
    await page.waitForSelector('#what-if-chart canvas');
    await screenshot(page, 'dashboard-what-if.png');

    // A narrow window: nothing wider than the screen; the tables scroll within their own box.
    await page.setViewport({ width: 390, height: 844 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth);
    await screenshot(page, 'dashboard-narrow.png');

    expect(errors).toEqual([]);
  });

  it('explains a refused stop (409) and stops nothing unless the operator forces it', async () => {
    const { url } = await start();
    const { page, errors } = await watchedPage(browser);
    const dialogs: string[] = [];
    // Yes to "stop?", then no to "force?".
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (dialogs.length === 1 ? dialog.accept() : dialog.dismiss());
    });
    await signIn(page, url);
    await arrivePlayers(url, 1);
    await page.waitForFunction(() => document.querySelector('#servers tr[data-server] td:nth-child(4)')?.textContent === '1/10');
    const [server] = await rows(page);
    await page.click(`tr[data-server="${server.id}"] button[data-action="stop"]`);
    await page.waitForFunction((id) => document.querySelector('#message')?.textContent?.startsWith(`stop ${id} not done`), {}, server.id);
    expect(dialogs[1]).toContain(`server ${server.id} has players`);
    expect(await page.$eval(`tr[data-server="${server.id}"] [data-state]`, (span) => span.textContent)).toBe('ready');
    // The one error: the browser's own line for the refused request.
    expect(errors).toEqual([expect.stringMatching(/status of 409.*\/fleet\/servers\/.*\/stop/)]);
  });

  it('sends the operator back to the token when it is wrong, and tells how to turn the operator API on when it is off', async () => {
    const offDir = await newStateDir();
    const withoutToken = await startManager({ ...FLEET_ENV }, offDir);
    try {
      const { page, errors } = await watchedPage(browser);
      await page.goto(`${withoutToken.url}/dashboard`);
      await page.waitForSelector('#off', { visible: true });
      expect(await page.$eval('#off', (section) => section.textContent)).toContain('ADMIN_TOKEN');
      expect(await page.$eval('#login', (section) => (section as HTMLElement).hidden)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await withoutToken.close();
      await destroyFleet(offDir);
    }

    const { url } = await start();
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${url}/dashboard`);
    await page.waitForSelector('#token', { visible: true });
    await page.type('#token', 'not-the-token-at-all');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error', { visible: true });
    expect(await page.$eval('#login-error', (p) => p.textContent)).toBe('That token is not the manager\'s ADMIN_TOKEN.');
    expect(await page.$eval('#fleet', (main) => (main as HTMLElement).hidden)).toBe(true);
    // The token is not kept when wrong; the browser logs the refused request (403) itself.
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([expect.stringMatching(/status of 403.*\/fleet\/settings/)]);
  });
});
