import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRedis } from '@vigil/core';
import { deletePrefix, eventually, freePort, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import type { Browser, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, seriousAxeViolations } from './support/browser.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

/** Screenshots land in the repository's (git-ignored) test-artifacts/ for a person to look at. */
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

/** The text of what `selector` matches (the first), or '' while nothing does. */
const textOf = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? '';
const liveText = (page: Page) => textOf(page, '#live');

/** axe in light and dark: no serious or critical violation in either theme. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name} (${colorScheme}): ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, `status-page-${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the public status page in a browser, against a running fleet', () => {
  let target: HttpTarget;
  let mail: MailSink;
  let fleet: VigilProcess;
  let browser: Browser;
  let base: string;
  const prefix = uniquePrefix('status-page');

  beforeEach(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    target = await startHttpTarget();
    mail = await startMailSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = await writeConfig(`
vantages: [alpha, beta, gamma]
allowPrivateTargets: true
components: [{ id: api, name: Public API, description: The REST API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, confirmations: 2, http: { url: "${target.url}" } }
statusPage: { title: Vigil Test Status, components: [api] }
${pagingYaml()}`);
    fleet = spawnVigil(['up', '-c', config], {
      env: { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix, VIGIL_PORT: String(port), SMTP_URL: mail.url },
    });
    fleet.exited.then((code) => {
      if (code !== 0 && code !== null) process.stderr.write(`vigil up exited early (${code}):\n${fleet.output()}\n`);
    });
    browser = await launchChromium();
  });

  afterEach(async () => {
    await browser.close();
    fleet.child.kill('SIGTERM');
    await fleet.exited;
    await target.close();
    await mail.stop();
    const redis = createRedis(TEST_REDIS_URL);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('goes from operational to an open incident and back to resolved without a reload, accessibly', async () => {
    // The fleet is up and has decided a few good rounds: the bar has data.
    await eventually(
      async () => {
        const body = await fetch(`${base}/`)
          .then((res) => res.text())
          .catch(() => '');
        return body.includes('100.00% uptime');
      },
      40_000,
      'the status page with uptime data',
    );

    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/?refresh=1000`);
    await eventually(
      async () => (await textOf(page, '#banner')) === 'All Systems Operational',
      1_000,
      'the banner to say All Systems Operational',
    );
    expect(await page.locator('#banner').getAttribute('class')).toContain('banner-ok');
    expect(await liveText(page)).toContain('Operational');
    await expectAccessible(page, 'operational');
    // Survives only as long as the document does: proof that nothing below reloads the page.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: string }).marker = 'same document';
    });
    const sameDocument = () => page.evaluate(() => (globalThis as unknown as { marker?: string }).marker);

    const port = target.port;
    await target.close();
    await eventually(async () => /Investigating/.test(await liveText(page)), 20_000, 'the incident shown live');
    expect(await sameDocument()).toBe('same document');
    const live = await liveText(page);
    expect(live).toContain('Active incidents');
    expect(live).not.toContain('All Systems Operational');
    expect(live).toMatch(/Unreachable for at least \S+ and at most \S+ so far/);
    const href = await page.locator('#live .incident h3 a').first().getAttribute('href');
    expect(href).toMatch(/^\/incidents\//);
    await expectAccessible(page, 'incident');

    const back = await startHttpTarget(port);
    try {
      await eventually(
        async () => (await textOf(page, '#banner')) === 'All Systems Operational',
        20_000,
        'the banner back to All Systems Operational',
      );
      expect(await sameDocument()).toBe('same document');
      const recent = await textOf(page, '#recent-h + .incident');
      expect(recent).toContain('Resolved');
      expect(recent).toMatch(/Unreachable for at least \S+ and at most \S+/);
      expect(recent).not.toContain('so far');
      await expectAccessible(page, 'resolved');

      await page.goto(`${base}${href}`);
      const incident = await textOf(page, 'main');
      expect(incident).toMatch(/Resolved/);
      expect(incident).toMatch(/Investigating/);
      expect(incident).toMatch(/Unreachable for at least \S+ and at most \S+/);
      expect(incident).not.toContain('so far');
      await expectAccessible(page, 'incident-page');

      await page.goto(`${base}/history`);
      expect(await textOf(page, 'main')).toContain('Public API outage');
      await expectAccessible(page, 'history');
    } finally {
      await back.close();
    }
    expect(errors).toEqual([]);
  }, 90_000);
});
