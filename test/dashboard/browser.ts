import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../helpers/build.js';

/**
 * Hostile text pushed through every place the UI renders (span names, label values, health
 * reasons, alert annotations): the page must show it as text, and `window.__xss` stays unset.
 */
export const HOSTILE = `<img src=x onerror="window.__xss=1">'"\n<script>window.__xss=2</script>`;

/** Debian's chromium, launched as DESIGN.md says. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const SCREENSHOTS = join(ROOT, 'test-results', 'dashboard');

/** Saves a full-page screenshot under test-results/dashboard/ (kept as a test artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Collects CSP violations and page errors, so a test can assert that nothing tried to run. */
export async function watchPage(page: Page): Promise<{ violations: string[]; errors: string[] }> {
  const seen = { violations: [] as string[], errors: [] as string[] };
  page.on('pageerror', (err) => seen.errors.push(String(err)));
  page.on('dialog', (d) => {
    seen.errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.exposeFunction('__reportViolation', (v: string) => seen.violations.push(v));
  await page.addInitScript(() => {
    // Runs in the page (the test's tsconfig has no DOM types, hence the casts).
    const g = globalThis as unknown as {
      document: { addEventListener(type: string, fn: (e: { violatedDirective: string; blockedURI: string }) => void): void };
      __reportViolation(v: string): void;
    };
    g.document.addEventListener('securitypolicyviolation', (e) => g.__reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return seen;
}
