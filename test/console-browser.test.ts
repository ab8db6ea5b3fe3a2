import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import type { Browser, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleFleet, collectPageErrors, seriousAxeViolations, startConsoleFleet } from './support/browser.js';
import type { Fleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { signInThroughIdp } from './support/oidc-idp.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

/** Screenshots land in the repository's (git-ignored) test-artifacts/ for a person to look at. */
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const VANTAGES = ['alpha', 'beta', 'gamma'];
/** The IdP's people and how the console maps their groups: Ana is an SRE, with the operators' admin view. */
const OIDC = { people: { ana: ['sre', 'staff'] }, roles: [{ group: 'sre', scopes: ['admin' as const] }] };

/** Seconds of a downtime as the incident page writes it: `42s`, `3m`, `3m05s`. */
function secondsOf(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') throw new Error(`not a downtime: ${text}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

/** axe in light and dark: no serious or critical violation in either theme. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name} (${colorScheme}): ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, `console-${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The states the grid shows for a check, one per vantage. */
const cellsOf = (page: Page, checkId: string) => page.locator(`#check-${checkId} td[data-vantage]`).allTextContents();

describe('the operator console in a browser, against a running fleet', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let mail: MailSink;
  let consoleFleet: ConsoleFleet;
  let browser: Browser;
  let base: string;
  /** The target started again on its port, once the test brings it back. */
  let restored: HttpTarget | undefined;

  beforeEach(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    consoleFleet = await startConsoleFleet(VANTAGES, { oidc: OIDC });
    ({ fleet, target, browser, base } = consoleFleet);
    mail = await startMailSink();
  });
  afterEach(async () => {
    await consoleFleet.close();
    await restored?.close();
    await mail.stop();
  });

  it('signs in through the OIDC provider, shows a killed target red live, stops escalation by an acknowledgement from the console, and resolves with downtime bounds', async () => {
    // The second level would page Bo 20 s after Ana: acknowledging before then must keep him out of it
    // (20 s, not 10: on a loaded machine the IdP sign-in and axe passes before the click take seconds).
    const config = parseConfig(`${consoleFleet.checksYaml}
people:
  - { id: ana, name: Ana, email: ana@example.test }
  - { id: bo, name: Bo, email: bo@example.test }
schedules:
  - { id: primary, timezone: UTC, rotation: { every: 1w, handoff: "mon 09:00", people: [ana] } }
escalations:
  - id: default
    levels:
      - { notify: [schedule:primary], after: 0s }
      - { notify: [person:bo], after: 20s }
notifier:
  groupingWindow: 1s
  roundGrace: 1s
  vantages: { window: 10s, minChecks: 3, silentAfter: 30s }
  delivery: { attempts: 20, backoff: 500ms }
`);
    await fleet.runConfig(config, { smtpUrl: mail.url });
    await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 6);

    const page = await browser.newPage();
    const polls: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/console/grid') polls.push(response.status());
    });
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await expectAccessible(page, 'sign-in');
    await signInThroughIdp(page, base, 'ana');
    // The IdP's dev pages log what they log; from here on, the console's own pages log no error.
    const errors = collectPageErrors(page);
    const cookie = (await page.context().cookies(base)).find((c) => c.name === '__Host-vigil-console');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(await page.locator('.who span').textContent()).toBe('Person ana · oidc:ana · admin');
    await eventually(async () => (await cellsOf(page, 'api-health')).join() === 'up,up,up', 10_000, 'three up cells');
    expect(await page.locator('#fleet-heading + p').textContent()).toBe('3 ok · 0 impaired · 0 silent');
    await expectAccessible(page, 'overview-up');

    // Survives only as long as the document does: proof that nothing below reloads the page.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: string }).marker = 'same document';
    });
    const sameDocument = () => page.evaluate(() => (globalThis as unknown as { marker?: string }).marker);

    // Nothing changes while the target is up: the poll is conditional and answered with a bodiless 304.
    await eventually(async () => polls.includes(304), 10_000, 'a poll answered 304');
    await target.close();
    await eventually(
      async () => (await cellsOf(page, 'api-health')).join() === 'down,down,down',
      15_000,
      'three down cells',
    );
    expect(await page.locator('#check-api-health td.state-down[data-vantage]').count()).toBe(3);
    const link = page.locator('#live a[href^="/console/incidents/"]').first();
    await link.waitFor({ timeout: 15_000 });
    expect(await sameDocument()).toBe('same document');
    expect(polls.every((status) => status === 200 || status === 304)).toBe(true);
    await expectAccessible(page, 'overview-down');
    const paged = await eventually(async () => mail.to('ana@example.test')[0], 10_000, 'the first page');

    await link.click();
    await page.waitForURL(/\/console\/incidents\/\d+$/);
    await expectAccessible(page, 'incident');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.waitForURL(/\/console\/incidents\/\d+$/);
    const acknowledgedAt = Date.now();
    expect(await page.locator('#incident-ack').textContent()).toMatch(/by oidc:ana \(Person ana\) via console$/);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    // The audit trail: the timeline says who acknowledged, and from where.
    expect(await page.locator('.timeline').textContent()).toMatch(
      /Acknowledged by oidc:ana \(Person ana\) via console/,
    );
    await expectAccessible(page, 'incident-acknowledged');
    expect(acknowledgedAt - paged.at, 'acknowledged before the second level was due').toBeLessThan(20_000);
    // An update posted from its form lands on the timeline, with who posted it and from where.
    const update = page.locator('form[action$="/updates"]');
    await update.locator('select[name="status"]').selectOption('identified');
    await update.getByLabel('Message').fill('Rolling back the deploy.');
    await update.getByRole('button', { name: 'Post update' }).click();
    await page.waitForURL(/\/console\/incidents\/\d+$/);
    expect(await page.locator('#incident-status').textContent()).toBe('identified');
    expect(await page.locator('.timeline li').first().textContent()).toMatch(
      /^identified · .* via console.*Rolling back the deploy\.$/s,
    );

    // A fixed wait is the assertion: unacknowledged, Bo would have been paged 20 s after Ana.
    await setTimeout(Math.max(0, paged.at + 22_000 - Date.now()));
    expect(mail.to('bo@example.test')).toEqual([]);
    expect(mail.to('ana@example.test')).toHaveLength(1);

    // The target comes back: the incident resolves, and its page shows the downtime's bounds, final.
    const incident = page.url();
    restored = await startHttpTarget(target.port);
    await eventually(
      async () => {
        await page.goto(incident);
        return (await page.locator('#incident-status').textContent()) === 'resolved';
      },
      20_000,
      'the incident resolved',
    );
    const downtime = (await page.locator('dt:text-is("Downtime") + dd').textContent()) ?? '';
    const bounds = /^at least (\S+), at most (\S+)$/.exec(downtime);
    expect(bounds, downtime).not.toBeNull();
    const [atLeast, atMost] = [secondsOf(bounds?.[1] ?? ''), secondsOf(bounds?.[2] ?? '')];
    // Down from before the first page until 12 s after it.
    expect(atLeast).toBeGreaterThanOrEqual(10);
    expect(atMost).toBeGreaterThanOrEqual(atLeast);
    expect(await page.locator('dt:text-is("Resolved") + dd').textContent()).not.toBe('not yet');
    await expectAccessible(page, 'incident-resolved');
    expect(mail.to('bo@example.test')).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
