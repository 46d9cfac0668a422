// Debian's Firefox ESR for the browser tests, driven through WebDriver BiDi by npm
// puppeteer-core (no browser download), and a thin layer of page helpers with the names the
// Chromium (Playwright) tests use, so test bodies read the same in both.
// Environment: NL_FIREFOX (default /usr/bin/firefox-esr).
import { existsSync } from 'node:fs';

export const FIREFOX = process.env.NL_FIREFOX || '/usr/bin/firefox-esr';

/**
 * Headless Firefox ESR with a fresh profile.
 * @param {{viewport?: {width: number, height: number}, prefs?: Record<string, unknown>}} [opts]
 *   prefs: extra about:config preferences (e.g. {'dom.serviceWorkers.enabled': false})
 * @returns {Promise<{browser: import('puppeteer-core').Browser, version: string, newPage: () => Promise<FirefoxPage>, close: () => Promise<void>}>}
 */
export async function launchFirefox(opts = {}) {
  let puppeteer;
  try {
    ({ default: puppeteer } = await import('puppeteer-core'));
  } catch {
    throw new Error('puppeteer-core is missing: run npm install (or npm ci) at the repository root');
  }
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing (apt-get install firefox-esr, or set NL_FIREFOX)`);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: opts.viewport || { width: 1280, height: 800 },
    extraPrefsFirefox: {
      'browser.shell.checkDefaultBrowser': false,
      'app.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      ...(opts.prefs || {}),
    },
  });
  const version = await browser.version();
  return {
    browser,
    version,
    newPage: async () => new FirefoxPage(await browser.newPage()),
    close: () => browser.close().catch(() => {}),
  };
}

/** A puppeteer page with the few Playwright-style calls the tests use. */
export class FirefoxPage {
  constructor(page) {
    this.page = page;
  }

  goto(url) { return this.page.goto(url, { waitUntil: 'load' }); }
  reload() { return this.page.reload({ waitUntil: 'load' }); }
  evaluate(fn, arg) { return this.page.evaluate(fn, arg); }
  $eval(selector, fn, arg) { return this.page.$eval(selector, fn, arg); }
  $$eval(selector, fn, arg) { return this.page.$$eval(selector, fn, arg); }
  on(event, fn) { return this.page.on(event, fn); }
  click(selector) { return this.page.click(selector); }
  screenshot(o) { return this.page.screenshot(o); }
  close() { return this.page.close(); }

  /** Playwright's argument order: (fn, arg, {timeout}). Polls (rAF polling stalls in hidden tabs). */
  waitForFunction(fn, arg, { timeout = 30000 } = {}) {
    return this.page.waitForFunction(fn, { timeout, polling: 100 }, arg);
  }

  textContent(selector) { return this.page.$eval(selector, (e) => e.textContent); }
  getAttribute(selector, name) { return this.page.$eval(selector, (e, n) => e.getAttribute(n), name); }
  inputValue(selector) { return this.page.$eval(selector, (e) => e.value); }
  isDisabled(selector) { return this.page.$eval(selector, (e) => e.disabled === true); }

  isVisible(selector) {
    return this.page.$eval(selector, (e) => {
      const s = getComputedStyle(e);
      return e.getClientRects().length > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    }).catch(() => false);
  }

  async fill(selector, value) {
    await this.page.$eval(selector, (e, v) => {
      e.value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
      e.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }
}
