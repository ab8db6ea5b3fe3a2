import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../../testing.js';
import { SESSION_COOKIE } from '../session/cookie.js';
import { SessionStore } from '../session/session-store.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

const CLIENT = { id: 'vigil-console', secret: 'oidc-client-s3cret-for-tests' };
/** The IdP's people: login name → groups. */
const PEOPLE: Record<string, string[]> = {
  ana: ['ops', 'staff'],
  bo: ['team-a-viewers', 'staff'],
  cy: ['staff'],
  di: ['team-a-viewers', 'team-b-oncall', 'staff'],
};

const WRONG_SECRET = 'not-the-registered-s3cret';
const ROLES = [
  { group: 'ops', scopes: ['admin'] },
  { group: 'team-a-viewers', scopes: ['read'], owners: ['team-a'] },
  { group: 'team-b-oncall', scopes: ['write'], owners: ['team-b'] },
];
const withOidc = (oidc: Record<string, unknown>) => ({ ...TEST_CONFIG, console: { oidc: { ...oidc, roles: ROLES } } });

/** A browser's cookies, carried by hand: name → value, whatever the host or path (one loopback address). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** One request as a browser sends it, cookies in and out, redirects left to the caller. */
async function visit(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Response> {
  const response = await fetch(url, {
    redirect: 'manual',
    method: form ? 'POST' : 'GET',
    headers: {
      cookie: jar.header(),
      ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    ...(form && { body: new URLSearchParams(form).toString() }),
  });
  jar.take(response);
  return response;
}

/** The dev interaction's one form (login or consent): its action and hidden fields, the login filled in. */
function formOf(page: string, login: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  if (action === undefined) throw new Error(`expected a form in the IdP's page:\n${page}`);
  const fields: Record<string, string> = {};
  for (const [, name = '', value = ''] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[name] = value;
  if (/name="login"/.test(page)) Object.assign(fields, { login, password: 'any' });
  return { action: action.replaceAll('&amp;', '&'), fields };
}

/**
 * Starts a sign-in at the console and walks the IdP's login and consent pages until the IdP sends
 * the browser back: the callback URL, not yet visited. `seen` collects the pages met (`login`, `consent`).
 */
async function toCallback(
  app: string,
  jar: CookieJar,
  login: string,
  options: { abort?: boolean; seen?: string[] } = {},
): Promise<string> {
  let response = await visit(jar, `${app}/console/auth/oidc`);
  for (let step = 0; step < 20; step += 1) {
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, response.url).href;
      if (next.startsWith(`${app}/console/auth/oidc/callback`)) return next;
      response = await visit(jar, next);
    } else {
      expect(response.status, await response.clone().text()).toBe(200);
      if (options.abort) {
        response = await visit(jar, `${response.url}/abort`);
        continue;
      }
      const page = await response.text();
      options.seen?.push(/name="login"/.test(page) ? 'login' : 'consent');
      const { action, fields } = formOf(page, login);
      response = await visit(jar, new URL(action, response.url).href, fields);
    }
  }
  throw new Error('the IdP never sent the browser back');
}

describe('console sign-in with OpenID Connect, against oidc-provider on loopback', () => {
  let idp: Server;
  let t: App;
  let app: string;
  let sessions: SessionStore;
  let wrong: App;
  let wrongApp: string;
  let issuer: string;

  beforeAll(async () => {
    let handler: ((req: never, res: never) => void) | undefined;
    idp = createServer((req, res) => handler?.(req as never, res as never));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    t = await testWebApp(withOidc({ issuer, clientId: CLIENT.id, clientSecret: CLIENT.secret }));
    app = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // The same client with a secret the IdP does not know: the code exchange is refused.
    wrong = await testWebApp(withOidc({ issuer, clientId: CLIENT.id, clientSecret: WRONG_SECRET }));
    wrongApp = await wrong.app.listen({ port: 0, host: '127.0.0.1' });
    sessions = new SessionStore(t.ctx);
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_uris: [`${app}/console/auth/oidc/callback`, `${wrongApp}/console/auth/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          post_logout_redirect_uris: [`${app}/console/sign-in`],
        },
      ],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
      cookies: { keys: ['oidc-provider-test-cookie-key'] },
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({
          sub: id,
          name: `${id[0]?.toUpperCase()}${id.slice(1)}`,
          email: `${id}@example.com`,
          groups: PEOPLE[id] ?? [],
        }),
      }),
    });
    handler = provider.callback();
  });

  afterAll(async () => {
    await t?.cleanup();
    await wrong?.cleanup();
    await new Promise((resolve) => idp?.close(resolve));
  });

  it('signs a person in through the IdP into a console session with their group’s scope', async () => {
    const jar = new CookieJar();
    const callback = await toCallback(app, jar, 'ana');
    const back = await visit(jar, callback);
    const page = await back.text();
    expect(back.status, page).toBe(200);
    expect(page).toContain('Signed in as Ana');
    expect(back.headers.get('refresh')).toBe('0; url=/console');
    const id = jar.get(SESSION_COOKIE);
    expect(id).toBeDefined();
    const session = await sessions.read(id);
    expect(session?.principal).toEqual({
      id: 'oidc:ana',
      owner: 'oidc:ana',
      scope: 'admin',
      name: 'Ana',
      grants: [{ owner: 'oidc:ana', scope: 'admin' }],
    });
    const home = await visit(jar, `${app}/console`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Ana');
  });

  it('gives a read-only group the read scope only, as its owner', async () => {
    const jar = new CookieJar();
    const back = await visit(jar, await toCallback(app, jar, 'bo'));
    expect(back.status).toBe(200);
    const session = await sessions.read(jar.get(SESSION_COOKIE));
    expect(session?.principal).toMatchObject({ id: 'oidc:bo', scope: 'read', owner: 'team-a' });
  });

  it('keeps every owner a person’s groups grant, each with its own scope, acting as the first', async () => {
    const jar = new CookieJar();
    expect((await visit(jar, await toCallback(app, jar, 'di'))).status).toBe(200);
    const session = await sessions.read(jar.get(SESSION_COOKIE));
    expect(session?.principal).toMatchObject({
      owner: 'team-a',
      scope: 'read',
      grants: [
        { owner: 'team-a', scope: 'read' },
        { owner: 'team-b', scope: 'write' },
      ],
    });
    const home = await (await visit(jar, `${app}/console`)).text();
    expect(home).toMatch(
      /<select id="owner-switch" name="owner"><option value="team-a" selected>team-a<\/option><option value="team-b">team-b<\/option><\/select>/,
    );
  });

  it('signs out at the IdP too: the next sign-in meets its login form again', async () => {
    const jar = new CookieJar();
    const seen: string[] = [];
    expect((await visit(jar, await toCallback(app, jar, 'ana', { seen }))).status).toBe(200);
    expect(seen).toEqual(['login', 'consent']);
    // Still signed in at the IdP, a second sign-in goes straight through: what sign-out must undo.
    seen.length = 0;
    expect((await visit(jar, await toCallback(app, jar, 'ana', { seen }))).status).toBe(200);
    expect(seen).toEqual([]);
    const id = jar.get(SESSION_COOKIE);
    const csrf = (await sessions.read(id))?.csrf ?? '';

    const out = await visit(jar, `${app}/console/sign-out`, { _csrf: csrf });
    expect(out.status).toBe(200);
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
    expect(await sessions.read(id)).toBeUndefined();
    const to = new URL(/^0; url=(.+)$/.exec(out.headers.get('refresh') ?? '')?.[1] ?? 'http://none');
    expect(to.origin).toBe(issuer);
    expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${app}/console/sign-in`);
    expect(to.searchParams.get('client_id')).toBe(CLIENT.id);
    expect(to.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    // The IdP asks, the person confirms, and the IdP sends them back to the console's sign-in page.
    const confirm = await visit(jar, to.href);
    const page = await confirm.text();
    expect(page).toContain('Yes, sign me out');
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const done = await visit(jar, new URL(action, confirm.url).href, { xsrf, logout: 'yes' });
    expect(done.headers.get('location')).toBe(`${app}/console/sign-in`);

    seen.length = 0;
    await toCallback(app, jar, 'ana', { seen });
    expect(seen[0]).toBe('login');
  });

  it('sends the IdP the sign-in page of the callback it vetted, whatever Host the sign-out names', async () => {
    const jar = new CookieJar();
    expect((await visit(jar, await toCallback(app, jar, 'ana'))).status).toBe(200);
    const id = jar.get(SESSION_COOKIE);
    const csrf = (await sessions.read(id))?.csrf ?? '';
    const out = await t.app.inject({
      method: 'POST',
      url: '/console/sign-out',
      headers: {
        host: 'evil.example',
        cookie: `${SESSION_COOKIE}=${id}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(out.statusCode).toBe(200);
    const to = new URL(/^0; url=(.+)$/.exec(String(out.headers.refresh ?? ''))?.[1] ?? 'http://none');
    expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${app}/console/sign-in`);
  });

  it('signs a token session out of Vigil only, back to the sign-in page', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'read', name: 'pasted' });
    const jar = new CookieJar();
    await visit(jar, `${app}/console/sign-in`, { token });
    const csrf = (await sessions.read(jar.get(SESSION_COOKIE)))?.csrf ?? '';
    const out = await visit(jar, `${app}/console/sign-out`, { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in');
  });

  it('refuses a person in no mapped group with a page saying so, and no session', async () => {
    const jar = new CookieJar();
    const back = await visit(jar, await toCallback(app, jar, 'cy'));
    const page = await back.text();
    expect(back.status).toBe(403);
    expect(back.headers.get('content-type')).toContain('text/html');
    expect(page).toContain('Cy is signed in at the identity provider but is in none of the groups this console admits');
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
  });

  it('refuses a callback whose state is not the one this browser started', async () => {
    const jar = new CookieJar();
    const callback = new URL(await toCallback(app, jar, 'ana'));
    const state = callback.searchParams.get('state') ?? '';
    callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const forged = await visit(jar, callback.href);
    const page = await forged.text();
    expect(forged.status).toBe(400);
    expect(page).toContain('This sign-in was not started in this browser');
    expect(page).not.toMatch(/at \w+ \(|Error:/);
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();

    // Another browser holding the right state in the link but not in its cookie gets nothing either.
    callback.searchParams.set('state', state);
    const stranger = await visit(new CookieJar(), callback.href);
    expect(stranger.status).toBe(400);
  });

  it('refuses a replayed callback: a state is good once', async () => {
    const jar = new CookieJar();
    const callback = await toCallback(app, jar, 'ana');
    const state = jar.get('vigil-oidc-state') ?? '';
    expect((await visit(jar, callback)).status).toBe(200);
    const replayJar = new CookieJar();
    const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: `vigil-oidc-state=${state}` } });
    replayJar.take(replay);
    const page = await replay.text();
    expect(replay.status).toBe(400);
    expect(page).toContain('This sign-in has already been used or has expired');
    expect(replayJar.get(SESSION_COOKIE)).toBeUndefined();
  });

  it('answers a person who cancels at the IdP with a page naming its error', async () => {
    const jar = new CookieJar();
    const back = await visit(jar, await toCallback(app, jar, 'ana', { abort: true }));
    const page = await back.text();
    expect(back.status).toBe(403);
    expect(page).toContain('The identity provider did not sign you in (access_denied)');
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
  });

  it('answers a refused code exchange with a page naming the error, never the secret', async () => {
    const jar = new CookieJar();
    const back = await visit(jar, await toCallback(wrongApp, jar, 'ana'));
    const page = await back.text();
    expect(back.status).toBe(502);
    expect(page).toContain('The identity provider refused the sign-in (invalid_client)');
    for (const secret of [CLIENT.secret, WRONG_SECRET]) expect(page).not.toContain(secret);
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
    const signIn = await (await fetch(`${wrongApp}/console/sign-in`)).text();
    expect(signIn).toContain('href="/console/auth/oidc"');
    expect(signIn).not.toContain(WRONG_SECRET);
  });

  it('answers an unreachable IdP with a page, not a 500', async () => {
    const offline = await testWebApp(
      withOidc({ issuer: 'http://127.0.0.1:1', clientId: 'x', clientSecret: WRONG_SECRET }),
    );
    try {
      const start = await offline.app.inject({ method: 'GET', url: '/console/auth/oidc' });
      expect(start.statusCode).toBe(502);
      expect(start.headers['content-type']).toContain('text/html');
      expect(start.body).toContain('The identity provider at http://127.0.0.1:1 could not be reached or read');
      expect(start.body).not.toContain(WRONG_SECRET);
    } finally {
      await offline.cleanup();
    }
  });
});
