import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type ConsoleRole, tokenInputSchema, validateConfig } from '@vigil/core';
import { buildApp } from '@vigil/web';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Fleet, startFleet } from './fleet.js';
import { startTestIdp, type TestIdp } from './oidc-idp.js';
import { type HttpTarget, startHttpTarget } from './targets.js';

/** Debian's Chromium, as CI installs it; no downloads, no background traffic, nothing persisted. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Everything the page logged as an error or threw, for a test to assert there was none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * axe-core's checks on the page as it is now: the violations rated serious or critical. axe is
 * evaluated over the DevTools protocol, which the page's CSP (our script's hash only) does not
 * govern, where a script tag would be refused.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(await readFile(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** A fleet, a target for its checks, the web role on a loopback port over the fleet's context, and Chromium. */
export interface ConsoleFleet {
  fleet: Fleet;
  target: HttpTarget;
  browser: Browser;
  /** The web role's address, `http://127.0.0.1:<port>`. */
  base: string;
  /** The head of the fleet's vigil.yaml: its vantages, and `api-health` probing the target every second. */
  checksYaml: string;
  /** An admin token of the operators' (the checks of vigil.yaml belong to no tenant: only an admin sees them). */
  adminToken(): Promise<string>;
  /** The OIDC provider the console signs in through, when started with `oidc`. */
  idp?: TestIdp;
  close(): Promise<void>;
}

export interface ConsoleFleetOptions {
  /** Sign-in through a real OIDC provider on loopback: its people (login → groups) and `console.oidc.roles`. */
  oidc?: { people: Record<string, string[]>; roles: ConsoleRole[] };
}

export async function startConsoleFleet(vantages: string[], options: ConsoleFleetOptions = {}): Promise<ConsoleFleet> {
  const fleet = await startFleet(vantages);
  const target = await startHttpTarget();
  const idp = options.oidc && (await startTestIdp(options.oidc.people));
  const oidc = idp && {
    issuer: idp.issuer,
    clientId: idp.client.id,
    clientSecret: idp.client.secret,
    roles: options.oidc?.roles,
  };
  // The web role's config: the fleet's, with the IdP to sign in through.
  const config = oidc ? validateConfig({ vantages, console: { oidc } }, 'console fleet') : fleet.ctx.config;
  const web = buildApp({ ...fleet.ctx, config });
  await web.listen({ host: '127.0.0.1', port: 0 });
  const address = web.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  idp?.register(base);
  const browser = await launchChromium();
  return {
    fleet,
    target,
    browser,
    base,
    ...(idp && { idp }),
    checksYaml: `
vantages: [${vantages.join(', ')}]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${target.url}" } }`,
    async adminToken() {
      const input = tokenInputSchema.parse({ owner: 'ops', scope: 'admin' });
      return (await fleet.tokens.create(input, { now: Date.now(), createdBy: 'test' })).token;
    },
    async close() {
      await browser.close();
      await web.close();
      await idp?.close();
      await fleet.close();
      await target.close();
    },
  };
}
