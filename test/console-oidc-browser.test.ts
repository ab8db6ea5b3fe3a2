import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRedis } from '@vigil/core';
import { deletePrefix, eventually, freePort, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium } from './support/browser.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const CLIENT = { id: 'vigil-console', secret: 'browser-oidc-client-s3cret' };
const GROUPS: Record<string, string[]> = { ana: ['sre'], bo: ['team-a'] };

describe('console sign-in through an OpenID Connect provider, in Chromium, against `vigil web`', () => {
  let idp: Server;
  let web: VigilProcess;
  let browser: Browser;
  let base: string;
  const prefix = uniquePrefix('console-oidc');

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    let handler: ((req: never, res: never) => void) | undefined;
    idp = createServer((req, res) => handler?.(req as never, res as never));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_uris: [`${base}/console/auth/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
      cookies: { keys: ['oidc-provider-browser-test-key'] },
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id, name: `Person ${id}`, groups: GROUPS[id] ?? [] }),
      }),
    });
    handler = provider.callback();
    const config = await writeConfig(`
vantages: [alpha]
console:
  oidc:
    issuer: ${issuer}
    clientId: ${CLIENT.id}
    clientSecret: \${VIGIL_OIDC_CLIENT_SECRET}
    roles:
      - { group: sre, scopes: [admin] }
      - { group: team-a, scopes: [read], owners: [team-a] }
`);
    web = spawnVigil(['web', '-c', config], {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        VIGIL_PREFIX: prefix,
        VIGIL_PORT: String(port),
        VIGIL_OIDC_CLIENT_SECRET: CLIENT.secret,
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
    await new Promise((resolve) => idp?.close(resolve));
    const redis = createRedis(TEST_REDIS_URL);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('signs in through the IdP and lands on the overview, signed in, without the secret in any log', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/sign-in`);
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await page.locator('input[name="login"]').fill('ana');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${base}/console`);
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
    expect(web.output()).not.toContain(CLIENT.secret);
    await context.close();
  });
});
