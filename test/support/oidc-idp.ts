import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

/** A real OpenID Connect provider (`oidc-provider`) on loopback, with its dev login and consent pages. */
export interface TestIdp {
  issuer: string;
  client: { id: string; secret: string };
  /**
   * Registers the console at `base` as the IdP's one client (its callback, and its sign-in page as
   * the post-logout redirect) and starts answering; until then every request waits unanswered.
   */
  register(base: string): void;
  close(): Promise<void>;
}

/**
 * Starts the IdP: `people` maps a login (any password) to its groups, which the ID token carries;
 * a person's name is `Person <login>`. RP-initiated logout is on, as most IdPs have it.
 */
export async function startTestIdp(people: Record<string, string[]>): Promise<TestIdp> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = { id: 'vigil-console', secret: 'test-idp-client-s3cret' };
  return {
    issuer,
    client,
    register(base) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: client.id,
            client_secret: client.secret,
            redirect_uris: [`${base}/console/auth/oidc/callback`],
            post_logout_redirect_uris: [`${base}/console/sign-in`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        pkce: { required: () => true },
        features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
        claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
        cookies: { keys: ['test-idp-cookie-key'] },
        findAccount: async (_ctx: unknown, id: string) => ({
          accountId: id,
          claims: async () => ({ sub: id, name: `Person ${id}`, groups: people[id] ?? [] }),
        }),
      });
      handler = provider.callback();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** The IdP's dev login form: what a person meets when the IdP does not know them yet. */
export const idpLoginForm = (page: Page) => page.locator('input[name="login"]');

/**
 * Signs in as a person would from the console's sign-in page: the IdP link, the IdP's login form
 * (`login`, any password), its consent page (a person's first sign-in), and back to `/console`.
 */
export async function signInThroughIdp(page: Page, base: string, login: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
  await idpLoginForm(page).fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.locator('button[type="submit"]').click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${base}/console`);
}
