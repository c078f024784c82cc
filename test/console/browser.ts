import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';

/** Where the tests save their screenshots (docs/console.md shows them). */
export const SHOTS = fileURLToPath(new URL('../../docs/img/', import.meta.url));

/** A headless browser, one page, and every JavaScript error or console error any page raised. */
export interface TestBrowser extends AsyncDisposable {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  errors: string[];
  shot(name: string): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  const watch = (p: Page): void => {
    p.on('pageerror', (e) => errors.push(`pageerror on ${p.url()}: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error on ${p.url()}: ${m.text()}`);
    });
  };
  // Bounded waits everywhere, generous for a shared, loaded machine.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  // Errors inside the sandboxed plugin frame reach the page's console events too.
  watch(page);
  mkdirSync(SHOTS, { recursive: true });
  return {
    browser,
    context,
    page,
    errors,
    async shot(name) {
      await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
    },
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}
