import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRedis } from '@vigil/core';
import { deletePrefix, eventually, freePort, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from './support/browser.js';
import { idpLoginForm, signInThroughIdp, startTestIdp, type TestIdp } from './support/oidc-idp.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const GROUPS: Record<string, string[]> = { ana: ['sre'], bo: ['team-a'], di: ['team-a', 'team-b'] };

describe('console sign-in through an OpenID Connect provider, in Chromium, against `vigil web`', () => {
  let idp: TestIdp;
  let web: VigilProcess;
  let browser: Browser;
  let base: string;
  const prefix = uniquePrefix('console-oidc');

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    idp = await startTestIdp(GROUPS);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp.register(base);
    const config = await writeConfig(`
vantages: [alpha]
console:
  oidc:
    issuer: ${idp.issuer}
    clientId: ${idp.client.id}
    clientSecret: \${VIGIL_OIDC_CLIENT_SECRET}
    roles:
      - { group: sre, scopes: [admin] }
      - { group: team-a, scopes: [read], owners: [team-a] }
      - { group: team-b, scopes: [write], owners: [team-b] }
`);
    web = spawnVigil(['web', '-c', config], {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        VIGIL_PREFIX: prefix,
        VIGIL_PORT: String(port),
        VIGIL_OIDC_CLIENT_SECRET: idp.client.secret,
        LOG_LEVEL: 'debug',
      },
    });
    await eventually(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok,
      20_000,
      'vigil web listening',
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    web?.child.kill('SIGTERM');
    await web?.exited;
    await idp?.close();
    const redis = createRedis(TEST_REDIS_URL);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('signs in through the IdP and lands on the overview, signed in, without the secret in any log', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/sign-in`);
    await signInThroughIdp(page, base, 'ana');
    // The IdP's dev pages fetch what they fetch; from here on, the console's own pages log no error.
    const errors = collectPageErrors(page);
    await page.reload();
    await expect.poll(() => page.content()).toContain('Person ana');
    await page.screenshot({ path: join(ARTIFACTS, 'console-oidc-signed-in.png'), fullPage: true });
    const cookies = await context.cookies(base);
    expect(cookies.find((cookie) => cookie.name === '__Host-vigil-console')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(errors).toEqual([]);
    expect(web.output()).not.toContain(idp.client.secret);
    await context.close();
  });

  it('signs out at the IdP too: the next sign-in meets the IdP’s login form again, and no log shows the ID token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/sign-in`);
    await signInThroughIdp(page, base, 'ana');
    // Signed in at the IdP, a sign-in skips its login form: what signing out must undo.
    await page.goto(`${base}/console/auth/oidc`);
    await page.waitForURL(`${base}/console`);
    const hints: string[] = [];
    page.on('request', (request) => {
      const hint = new URL(request.url()).searchParams.get('id_token_hint');
      if (hint) hints.push(hint);
    });

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${base}/console/sign-in`);
    expect(hints).toHaveLength(1);
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await idpLoginForm(page).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-oidc-signed-out-login-again.png'), fullPage: true });
    expect(web.output()).not.toContain(hints[0]);
    await context.close();
  });

  it('lets a person in two owners’ groups switch between them from the header, each with its scope', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/sign-in`);
    await signInThroughIdp(page, base, 'di');
    const errors = collectPageErrors(page);
    const who = page.locator('.who span');
    expect(await who.textContent()).toBe('Person di · team-a · read');
    const owners = page.getByLabel('Acting as');
    expect(await owners.locator('option').allTextContents()).toEqual(['team-a', 'team-b']);
    await owners.selectOption('team-b');
    await page.getByRole('button', { name: 'Switch owner' }).click();
    await page.waitForURL(`${base}/console`);
    expect(await who.textContent()).toBe('Person di · team-b · write');
    expect(await page.getByLabel('Acting as').inputValue()).toBe('team-b');
    await page.screenshot({ path: join(ARTIFACTS, 'console-oidc-owner-switched.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});
