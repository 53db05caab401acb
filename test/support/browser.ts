import chromium from '@sparticuz/chromium';
import puppeteer, { Browser, ConsoleMessage, Page } from 'puppeteer-core';

/**
 * A real headless Chromium, the one @sparticuz/chromium ships inside its npm package: `npm ci`
 * brings it, with nothing to download at install or test time. English, so that the page's
 * numbers and times do not depend on the machine's locale (a POSIX locale is no language tag).
 */
export async function openBrowser(): Promise<Browser> {
  return puppeteer.launch({ args: [...chromium.args, '--lang=en-US'], executablePath: await chromium.executablePath(), headless: true });
}

/** A page that keeps every console error and uncaught exception, for the test to check there are none. */
export async function watchedPage(browser: Browser, width = 1200): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url ?? 'no url'})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`));
  await page.setViewport({ width, height: 900 });
  return { page, errors };
}
