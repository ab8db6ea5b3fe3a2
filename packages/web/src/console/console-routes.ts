import { isVigilError, validationError } from '@vigil/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { httpStatusOf } from '../api/api-error.js';
import { invalidTokenLimit } from '../api/auth.js';
import { listQuery } from '../api/routes/checks.js';
import type { WebContext } from '../context.js';
import type { SafeHtml } from '../status/page/escape.js';
import { type ConsoleAssets, consoleAssets, registerAssets } from './assets.js';
import { registerCheckPage } from './checks/check-routes.js';
import { FleetPulseReader } from './fleet/fleet-pulse.js';
import { registerIncidents } from './incident-routes.js';
import { registerMaintenances } from './maintenance-routes.js';
import { type OidcSignOut, registerOidcSignIn } from './oidc/oidc-routes.js';
import { oidcSessionStarter } from './oidc/oidc-session.js';
import { registerOnCallPage } from './oncall/oncall-routes.js';
import { GridCache } from './overview/grid-cache.js';
import { refuseCrossOrigin, requireAction, requirePage, type Signed, signedIn } from './session/console-session.js';
import { setSessionCookie } from './session/cookie.js';
import { ownerChoices, registerOwnerSwitch } from './session/owner-switch.js';
import { type SessionPolicy, SessionStore } from './session/session-store.js';
import { registerTokenPages } from './token-routes.js';
import { CONSOLE_HEADERS, consoleLayout, errorBody, notFoundBody } from './view/layout.js';
import { type Filters, gridFragment, gridInner, overviewBody } from './view/overview.js';
import { signInBody } from './view/sign-in-page.js';

const HTML = 'text/html; charset=utf-8';
/** Checks per page of the overview. */
const PAGE_SIZE = 50;
/** A form is a few fields; anything larger is refused before it is parsed. */
const FORM_LIMIT = 16 * 1024;

export interface ConsoleOptions {
  sessions?: SessionPolicy;
}

/** The overview's query: the API's check-list filters (empty fields dropped), a page at a time. */
function parseOverviewQuery(raw: unknown) {
  const given = Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
  const parsed = listQuery.safeParse({ limit: String(PAGE_SIZE), ...given });
  if (!parsed.success) throw validationError(parsed.error, given);
  const filters: Filters = {
    ...(parsed.data.component !== undefined && { component: parsed.data.component }),
    ...(parsed.data.tag !== undefined && { tag: parsed.data.tag }),
    ...(parsed.data.state !== undefined && { state: parsed.data.state }),
    ...(parsed.data.q !== undefined && { q: parsed.data.q }),
  };
  return { query: parsed.data, filters, search: new URLSearchParams(filters as Record<string, string>).toString() };
}

/** The console under `/console`: token sign-in, the overview grid, incidents and their actions. */
export function registerConsole(app: FastifyInstance, ctx: WebContext, options: ConsoleOptions = {}): void {
  const assets = consoleAssets();
  registerAssets(app, assets);
  const sessions = new SessionStore(ctx, options.sessions);
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    scope.setErrorHandler(async (error: unknown, _request, reply) => {
      const failure = consoleFailure(error);
      if (failure.status >= 500) ctx.log.error({ err: error }, 'console request failed');
      // A missing id and another tenant's answer the one 404 page, as an unknown path does.
      if (failure.status === 404) return sendPage(reply, assets, notFoundPage(failure.message), 404);
      return sendPage(reply, assets, { title: 'Not done', body: errorBody(failure.message) }, failure.status);
    });
    const oidc = ctx.config.console.oidc;
    const idp = oidc && registerOidcSignIn(scope, ctx, { settings: oidc, startSession: oidcSessionStarter(sessions) });
    registerSignIn(scope, ctx, sessions, { assets, idp });
    registerOwnerSwitch(scope, ctx, sessions);
    registerOverview(scope, { ctx, sessions, assets });
    registerIncidents(scope, { ctx, sessions, assets, send: sendPage });
    registerMaintenances(scope, { ctx, sessions, assets, send: sendPage });
    registerCheckPage(scope, { ctx, sessions, assets, send: sendPage });
    registerOnCallPage(scope, { ctx, sessions, assets, send: sendPage });
    registerTokenPages(scope, { ctx, sessions, assets, send: sendPage });
  });
  registerNotFound(app, ctx, sessions, assets);
}

function notFoundPage(message: string): { title: string; body: SafeHtml } {
  return { title: 'Not found', body: notFoundBody(message) };
}

/**
 * Any other path under `/console` answers the console's HTML 404, signed in or not (a path names
 * nothing secret); the API keeps its JSON 404 and the status page its own.
 */
function registerNotFound(app: FastifyInstance, ctx: WebContext, sessions: SessionStore, assets: ConsoleAssets): void {
  app.register(
    async (scope) => {
      scope.setNotFoundHandler(async (request, reply) => {
        const signed = await signedIn(ctx, sessions, request);
        const path = request.url.split('?')[0] ?? '/console';
        return sendPage(reply, assets, { ...notFoundPage(`no page ${path}`), ...(signed && { signed }) }, 404);
      });
    },
    { prefix: '/console' },
  );
}

/** The status and sentence of a failed console request: the shared rules' errors as they are, the rest in words. */
function consoleFailure(error: unknown): { status: number; message: string } {
  if (isVigilError(error)) return { status: httpStatusOf(error.code), message: error.message };
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: 'body: expected a form (application/x-www-form-urlencoded) of at most 16 KB' };
  }
  return { status: 500, message: 'something went wrong; the error is logged' };
}

function sendPage(
  reply: FastifyReply,
  assets: ConsoleAssets,
  content: { title: string; body: SafeHtml; signed?: Signed },
  status = 200,
): FastifyReply {
  const { signed } = content;
  const who = signed && {
    name: signed.token.name,
    owner: signed.token.owner,
    scope: signed.token.scope,
    csrf: signed.session.csrf,
    owners: ownerChoices(signed.session.principal),
  };
  const body = consoleLayout({ assets, title: content.title, body: content.body, ...(who && { who }) });
  return reply.code(status).headers(CONSOLE_HEADERS).type(HTML).send(body);
}

function registerSignIn(
  app: FastifyInstance,
  ctx: WebContext,
  sessions: SessionStore,
  { assets, idp }: { assets: ConsoleAssets; idp: OidcSignOut | undefined },
): void {
  app.get('/console/sign-in', async (request, reply) => {
    if (await signedIn(ctx, sessions, request)) return reply.code(303).header('location', '/console').send();
    return sendPage(reply, assets, {
      title: 'Sign in',
      body: signInBody(undefined, ctx.config.console.oidc !== undefined),
    });
  });

  app.post('/console/sign-in', async (request, reply) => {
    // No session yet to hold a CSRF token: a sign-in posted from another site is refused by its Origin.
    refuseCrossOrigin(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const secret = typeof body.token === 'string' ? body.token.trim() : '';
    // Verified as the API verifies a bearer token, with the same limit on wrong ones per address.
    const token = secret === '' ? undefined : await ctx.tokens.verify(secret, ctx.clock.now());
    if (!token) {
      await invalidTokenLimit(ctx, request, reply);
      const error = secret === '' ? 'token: paste an API token' : 'token: unknown or revoked';
      return sendPage(
        reply,
        assets,
        { title: 'Sign in', body: signInBody(error, ctx.config.console.oidc !== undefined) },
        401,
      );
    }
    const principal = {
      id: `token:${token.id}`,
      owner: token.owner,
      scope: token.scope,
      name: token.name,
      tokenId: token.id,
    };
    const { id } = await sessions.createSession(principal);
    setSessionCookie(reply, id);
    return reply.code(303).header('location', '/console').send();
  });

  app.post('/console/sign-out', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    await sessions.destroy(signed.id, signed.session);
    setSessionCookie(reply, '');
    // A person signed in through an IdP that can end its session is signed out there too.
    if (idp) return idp.signedOut(signed.session, request, reply);
    return reply.code(303).header('location', '/console/sign-in').send();
  });

  app.post('/console/sign-out-everywhere', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    await sessions.destroyAll(signed.session.principal.id);
    setSessionCookie(reply, '');
    return reply.code(303).header('location', '/console/sign-in').send();
  });
}

function registerOverview(
  app: FastifyInstance,
  deps: { ctx: WebContext; sessions: SessionStore; assets: ConsoleAssets },
): void {
  const { ctx, sessions, assets } = deps;
  const pulse = new FleetPulseReader(ctx);
  const grids = new GridCache(ctx, pulse);
  app.addHook('onClose', async () => pulse.close());

  app.get('/console', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { query, filters, search } = parseOverviewQuery(request.query);
    // A page load reads anew (it may follow an action); the polls that follow share the view.
    const { view, etag } = await grids.read(signed.token, query, search, true);
    const live = gridFragment(view, gridInner(view), etag);
    const components = ctx.config.components.map((component) => component.id);
    return sendPage(reply, assets, { title: 'Overview', body: overviewBody({ filters, components, live }), signed });
  });

  // The live region, polled with the ETag of the data it shows: an unchanged view is a bodiless 304, rendered never.
  app.get('/console/grid', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { query, search } = parseOverviewQuery(request.query);
    const { view, etag } = await grids.read(signed.token, query, search);
    reply.headers(CONSOLE_HEADERS).header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply
      .code(200)
      .type(HTML)
      .send(gridFragment(view, gridInner(view), etag).value);
  });
}
