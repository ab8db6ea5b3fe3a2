import type { OidcSettings } from '@vigil/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import type { WebContext } from '../../context.js';
import { noticePage } from '../../notice-page.js';
import { escapeHtml } from '../../status/page/escape.js';
import { readCookie } from '../session/cookie.js';
import type { ConsoleSession } from '../session/session-store.js';
import { exchangeFailure, OidcClient, OidcSignInError } from './oidc-client.js';
import { OIDC_FLOW_TTL_S, OidcFlowStore } from './oidc-flow-store.js';
import { groupsOf, type OidcPrincipal, rightsOf } from './oidc-roles.js';

export const OIDC_START_PATH = '/console/auth/oidc';
export const OIDC_CALLBACK_PATH = '/console/auth/oidc/callback';
/** Binds a sign-in to the browser that started it (no login CSRF): Lax, so the IdP's redirect back carries it. */
const STATE_COOKIE = 'vigil-oidc-state';
const HTML = 'text/html; charset=utf-8';

export interface OidcSignInOptions {
  settings: OidcSettings;
  /**
   * Starts the console session of a person the IdP signed in and mapped to a role: creates it in the
   * session store and sets its cookie on `reply`. The route then sends the person on to the console.
   * `idToken` is there only when the IdP can end its session (RP-initiated logout): keep it for that,
   * with `signInOrigin`, the origin of the callback the IdP sent the person back to.
   */
  startSession(
    principal: OidcPrincipal,
    extra: { idToken?: string; signInOrigin?: string },
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void>;
}

/** What the console's sign-out asks of the OIDC sign-in. */
export interface OidcSignOut {
  /**
   * Answers a sign-out whose Vigil session is already ended: on to the IdP's end-session endpoint
   * (RP-Initiated Logout 1.0, which sends the person back to the console's sign-in page) when the
   * IdP advertises one and the session held its ID token; else straight to the sign-in page.
   */
  signedOut(session: ConsoleSession, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

/** The callback URL: configured, else under the notifier's public URL, else under the request's own origin. */
function redirectUrlOf(ctx: WebContext, settings: OidcSettings, request: FastifyRequest): string {
  if (settings.redirectUrl !== undefined) return settings.redirectUrl;
  const base = ctx.config.notifier.publicUrl ?? `${request.protocol}://${request.host}`;
  return `${base}${OIDC_CALLBACK_PATH}`;
}

/**
 * Where the IdP sends a person back after ending its session: the console's sign-in page at the
 * callback's origin, never taken from the sign-out request's Host. The callback configured
 * (`redirectUrl`, else under the notifier's public URL) gives it; with neither, the origin of the
 * callback the session's sign-in came back to, which the IdP vetted against its registered
 * redirect URIs (kept in the session); a session without it sends none (the IdP's own page).
 * Registered at the IdP as a post-logout redirect URI.
 */
function postLogoutUrlOf(ctx: WebContext, settings: OidcSettings, session: ConsoleSession): string | undefined {
  const base = settings.redirectUrl ?? ctx.config.notifier.publicUrl ?? session.signInOrigin;
  return base === undefined ? undefined : `${new URL(base).origin}/console/sign-in`;
}

/** A path under /console to come back to, or /console: never another site. */
function returnPathOf(query: unknown): string {
  const given = (query as { returnTo?: unknown } | undefined)?.returnTo;
  if (typeof given !== 'string' || !/^\/console(?:[/?#][^\\]*)?$/.test(given) || given.includes('//'))
    return '/console';
  return given;
}

/** Secure like the session cookie (https, or loopback); only the sign-in's own paths see it. */
function stateCookie(value: string): string {
  const expiry = value === '' ? 'Max-Age=0' : `Max-Age=${OIDC_FLOW_TTL_S}`;
  return `${STATE_COOKIE}=${value}; Path=${OIDC_START_PATH}; HttpOnly; Secure; SameSite=Lax; ${expiry}`;
}

const START_AGAIN = `<p><a href="${OIDC_START_PATH}">Sign in again</a></p>`;

function sendPage(reply: FastifyReply, status: number, page: { title: string; lines: string[]; after?: string }) {
  const { title, lines, after = START_AGAIN } = page;
  return reply
    .code(status)
    .header('content-type', HTML)
    .header('cache-control', 'no-store')
    .send(noticePage({ title, documentTitle: `${title} · Vigil console`, lines, after }));
}

/**
 * `GET /console/auth/oidc` and its callback: authorization code + PKCE + state + nonce through
 * openid-client, IdP groups mapped to a scope and owners by `console.oidc.roles`, then the console's
 * session. Every failure is a page saying what to do, never a stack trace.
 */
export function registerOidcSignIn(app: FastifyInstance, ctx: WebContext, options: OidcSignInOptions): OidcSignOut {
  const { settings } = options;
  const oidc = new OidcClient(settings);
  const flows = new OidcFlowStore(ctx);

  app.get(OIDC_START_PATH, async (request, reply) => {
    try {
      const config = await oidc.configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = await flows.begin({ nonce, codeVerifier, returnTo: returnPathOf(request.query) });
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUrlOf(ctx, settings, request),
        scope: settings.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return reply.code(303).header('set-cookie', stateCookie(state)).header('location', url.href).send();
    } catch (err) {
      return failed(reply, err);
    }
  });

  app.get(OIDC_CALLBACK_PATH, async (request, reply) => {
    try {
      const principal = await completeSignIn(request);
      reply.header('set-cookie', stateCookie(''));
      const extra =
        principal.idToken === undefined ? {} : { idToken: principal.idToken, signInOrigin: principal.signInOrigin };
      await options.startSession(principal.who, extra, request, reply);
      const to = principal.returnTo;
      // A page, not a 303: a redirect chain begun at the IdP counts as cross-site, and the SameSite=Strict session cookie would not ride along.
      return sendPage(reply.header('refresh', `0; url=${to}`), 200, {
        title: 'Signed in',
        lines: [`Signed in as ${principal.who.name}.`],
        after: `<p><a href="${escapeHtml(to)}">Open the console</a></p>`,
      });
    } catch (err) {
      return failed(reply, err);
    }
  });

  async function completeSignIn(
    request: FastifyRequest,
  ): Promise<{ who: OidcPrincipal; returnTo: string; idToken?: string; signInOrigin: string }> {
    const at = request.url.indexOf('?');
    const query = new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1));
    const state = query.get('state') ?? undefined;
    if (state === undefined || readCookie(request, STATE_COOKIE) !== state) {
      throw new OidcSignInError(400, 'This sign-in was not started in this browser, or it has expired. Start again.');
    }
    const flow = await flows.take(state);
    if (!flow) throw new OidcSignInError(400, 'This sign-in has already been used or has expired. Start again.');
    const config = await oidc.configuration();
    const current = new URL(redirectUrlOf(ctx, settings, request));
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      ctx.log.warn(
        { code: (err as { code?: unknown }).code, error: (err as { error?: unknown }).error },
        'console: OIDC code exchange failed',
      );
      throw exchangeFailure(err);
    }
    const claims = await claimsOf(config, tokens);
    const rights = rightsOf(settings.roles, groupsOf(claims[settings.groupsClaim]));
    const name = stringClaim(claims.name) ?? stringClaim(claims.email) ?? claims.sub;
    if (!rights) {
      throw new OidcSignInError(
        403,
        `${name} is signed in at the identity provider but is in none of the groups this console admits. Ask an administrator to add you to one.`,
      );
    }
    const email = stringClaim(claims.email);
    const who: OidcPrincipal = {
      id: `oidc:${claims.sub}`,
      subject: claims.sub,
      name,
      ...(email !== undefined && { email }),
      ...rights,
    };
    // Kept for the sign-out's id_token_hint only when the IdP can end its session.
    const canEnd = config.serverMetadata().end_session_endpoint !== undefined;
    const idToken = canEnd ? tokens.id_token : undefined;
    // The code exchange succeeded with this callback URL: the IdP accepted it as registered.
    return { who, returnTo: flow.returnTo, signInOrigin: current.origin, ...(idToken !== undefined && { idToken }) };
  }

  /** The ID token's claims, completed from userinfo when the groups claim is not in the ID token. */
  async function claimsOf(
    config: client.Configuration,
    tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>,
  ): Promise<Record<string, unknown> & { sub: string }> {
    const idClaims = tokens.claims();
    if (!idClaims) throw new OidcSignInError(502, 'The identity provider sent no ID token; start again.');
    if (idClaims[settings.groupsClaim] !== undefined) return idClaims;
    try {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      return { ...info, ...idClaims, [settings.groupsClaim]: info[settings.groupsClaim] };
    } catch (err) {
      throw exchangeFailure(err);
    }
  }

  return {
    async signedOut(session, _request, reply) {
      const url = await endSessionUrl(session);
      if (url === undefined) return reply.code(303).header('location', '/console/sign-in').send();
      // A page, not a 303: the console's CSP (form-action 'self') stops a form's redirect to another origin.
      return sendPage(reply.header('refresh', `0; url=${url}`), 200, {
        title: 'Signed out',
        lines: ['Signed out of Vigil. Signing you out at your identity provider…'],
        after: `<p><a href="${escapeHtml(url)}">Sign out at your identity provider</a></p>`,
      });
    },
  };

  async function endSessionUrl(session: ConsoleSession): Promise<string | undefined> {
    if (session.idToken === undefined) return undefined;
    try {
      const config = await oidc.configuration();
      if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
      const postLogout = postLogoutUrlOf(ctx, settings, session);
      const url = client.buildEndSessionUrl(config, {
        id_token_hint: session.idToken,
        ...(postLogout !== undefined && { post_logout_redirect_uri: postLogout }),
      });
      return url.href;
    } catch (err) {
      // Signed out of Vigil all the same; the IdP's session is left to its own expiry.
      ctx.log.warn({ code: (err as { code?: unknown }).code }, 'console: OIDC end-session URL not built');
      return undefined;
    }
  }

  function failed(reply: FastifyReply, err: unknown) {
    if (err instanceof OidcSignInError) {
      reply.header('set-cookie', stateCookie(''));
      return sendPage(reply, err.status, { title: 'Sign-in failed', lines: [err.message] });
    }
    ctx.log.error({ err }, 'console: OIDC sign-in failed');
    return sendPage(reply, 503, {
      title: 'Sign-in failed',
      lines: ['Something went wrong while signing you in. Start again.'],
    });
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
