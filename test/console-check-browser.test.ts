import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig, readLatencyRollup } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleFleet, collectPageErrors, seriousAxeViolations, startConsoleFleet } from './support/browser.js';
import type { Fleet } from './support/fleet.js';

/** Screenshots land in the repository's (git-ignored) test-artifacts/ for a person to look at. */
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const VANTAGES = ['alpha', 'beta', 'gamma'];

interface ViolationTarget {
  addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
}

describe('the console check page in a browser, against a running fleet', () => {
  let fleet: Fleet;
  let consoleFleet: ConsoleFleet;
  let browser: Browser;
  let base: string;

  beforeEach(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    consoleFleet = await startConsoleFleet(VANTAGES);
    ({ fleet, browser, base } = consoleFleet);
  });
  afterEach(async () => {
    await consoleFleet.close();
  });

  it("draws a probed check's latency per vantage with uPlot, under the CSP, without a console error", async () => {
    const config = parseConfig(`${consoleFleet.checksYaml}
`);
    await fleet.runConfig(config);
    await fleet.historyUntil('api-health', (h) => VANTAGES.every((v) => h.filter((r) => r.vantage === v).length >= 3));
    // The notifier has merged every vantage's latency sums into the check's rollup.
    await eventually(async () => {
      const now = Date.now();
      const rollup = await readLatencyRollup(fleet.ctx, 'api-health', { tier: 'day', from: now - 3_600_000, to: now });
      return rollup.vantages.length === VANTAGES.length;
    }, 20_000);
    const token = await consoleFleet.adminToken();

    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    // Registered through DevTools, which the page's CSP does not govern: every violation the page reports.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (globalThis as unknown as { cspViolations: string[] }).cspViolations = seen;
      // The tests compile without the DOM's types: the document as far as this listener needs it.
      const doc = (globalThis as unknown as { document: ViolationTarget }).document;
      doc.addEventListener('securitypolicyviolation', (event) => {
        seen.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await page.goto(`${base}/console/sign-in`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console`);

    await page.goto(`${base}/console/checks/api-health`);
    await page.locator('#latency figure canvas').first().waitFor({ timeout: 10_000 });
    const vantages = await page
      .locator('#latency figure')
      .evaluateAll((figures) => figures.map((figure) => figure.getAttribute('data-vantage')));
    expect(vantages).toEqual(VANTAGES);
    // uPlot drew: each canvas has a size and the legend names every phase.
    const sizes = await page
      .locator('#latency canvas')
      .evaluateAll((canvases) => canvases.map((canvas) => (canvas as unknown as { width: number }).width));
    expect(sizes.every((width) => width > 0)).toBe(true);
    const legend = await page.locator('#latency figure').first().locator('.u-legend').textContent();
    for (const phase of ['DNS', 'Connect', 'TLS', 'First byte', 'Total']) expect(legend).toContain(phase);
    expect(await page.locator('#latest tbody tr').count()).toBe(3);

    // 1 h: each result's total, and the phases (the latest result's and the hour's means).
    const drawn = () =>
      page
        .locator('#latency figure')
        .evaluateAll((figures) => figures.map((figure) => figure.getAttribute('data-drawn')));
    for (const phases of await drawn())
      expect(phases?.split(' ')).toEqual(expect.arrayContaining(['connect', 'total']));

    // 24 h and 7 d from the rollups: every vantage's phase series drawn, and the caption says what a point is.
    for (const [range, means] of [
      ['24h', '1-hour means'],
      ['7d', '6-hour means'],
    ] as const) {
      await page.getByRole('button', { name: range }).click();
      await page.locator(`#latency figcaption:has-text("${range}: ${means}")`).first().waitFor({ timeout: 10_000 });
      expect(await page.locator('#latency figure').count()).toBe(3);
      expect(await page.locator('#latency figure canvas').count()).toBeGreaterThanOrEqual(3);
      expect(await page.getByRole('button', { name: range }).getAttribute('aria-pressed')).toBe('true');
      for (const phases of await drawn()) {
        expect(phases?.split(' '), range).toEqual(expect.arrayContaining(['connect', 'firstByte', 'total']));
      }
      await page.screenshot({ path: join(ARTIFACTS, `console-check-${range}.png`), fullPage: true });
    }

    // Delete asks first; dismissed, nothing is posted and the check stays.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Delete' }).click();
    expect(asked).toEqual(['Delete check api-health? Its probes stop and it cannot be undone.']);
    expect(await fleet.ctx.checks.get('api-health')).toBeDefined();
    expect(new URL(page.url()).pathname).toBe('/console/checks/api-health');

    const violations = await seriousAxeViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-check.png'), fullPage: true });
    const csp = await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations);
    expect(csp).toEqual([]);
    expect(errors).toEqual([]);
  });
});
