import { type ApiToken, VigilError } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rateLimit } from '../../api/auth.js';
import type { WebContext } from '../../context.js';
import { readCookie, SESSION_COOKIE } from './cookie.js';
import { type ConsolePrincipal, type ConsoleSession, type SessionStore, sameToken } from './session-store.js';

/** A request's live session and the identity the shared authorization rules judge it as. */
export interface Signed {
  id: string;
  session: ConsoleSession;
  token: ApiToken;
}

/**
 * The identity of a principal for the API's rules: its API token, re-read so that a revoked token
 * ends the session; a principal from an IdP (no token) acts with its mapped owner and scope and
 * may register no check.
 */
async function identityOf(ctx: WebContext, principal: ConsolePrincipal): Promise<ApiToken | undefined> {
  if (principal.tokenId !== undefined) return ctx.tokens.get(principal.tokenId);
  return {
    id: principal.id,
    name: principal.name,
    owner: principal.owner,
    scope: principal.scope,
    quota: { checks: 0, minIntervalMs: 60_000, vantages: 3 },
    rateLimit: { max: 300, perMs: 60_000 },
    createdAt: 0,
    createdBy: principal.id,
  };
}

/** The request's session, if its cookie names a live one whose identity still exists. */
export async function signedIn(
  ctx: WebContext,
  sessions: SessionStore,
  request: FastifyRequest,
): Promise<Signed | undefined> {
  const id = readCookie(request, SESSION_COOKIE);
  const session = await sessions.read(id);
  if (!session || id === undefined) return undefined;
  const token = await identityOf(ctx, session.principal);
  if (!token) {
    await sessions.destroy(id, session);
    return undefined;
  }
  return { id, session, token };
}

/** For a page: the session, or a redirect to sign-in (htmx is told to navigate there, not to swap). */
export async function requirePage(
  ctx: WebContext,
  sessions: SessionStore,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Signed | undefined> {
  const signed = await signedIn(ctx, sessions, request);
  if (signed) return signed;
  if (request.headers['hx-request'] === 'true') await reply.code(401).header('hx-redirect', '/console/sign-in').send();
  else await reply.code(303).header('location', '/console/sign-in').send();
  return undefined;
}

function forbidden(path: string, message: string): VigilError {
  return new VigilError('FORBIDDEN', `${path}: ${message}`, [{ path, message }]);
}

/**
 * For a POST: a session and its CSRF token (the `_csrf` field or the `x-csrf-token` header), and a
 * same-origin Origin when the browser sends one; otherwise 403 and nothing changes. Then the
 * token's rate limit (429 past it).
 */
export async function requireAction(
  ctx: WebContext,
  sessions: SessionStore,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Signed> {
  refuseCrossOrigin(request);
  const signed = await signedIn(ctx, sessions, request);
  if (!signed) throw forbidden('session', 'no live console session; sign in again');
  const body = request.body as Record<string, unknown> | undefined;
  const field = typeof body?._csrf === 'string' ? body._csrf : undefined;
  const header = request.headers['x-csrf-token'];
  const given = field ?? (typeof header === 'string' ? header : undefined);
  if (!sameToken(signed.session.csrf, given)) throw forbidden('_csrf', 'missing or wrong CSRF token; reload the page');
  // Actions count against the token's rate limit, as its API requests do.
  await rateLimit(ctx, signed.token, reply);
  return signed;
}

/**
 * A POST whose Origin names another site is refused, whatever it carries. The Host header is read
 * as a URL of the Origin's scheme, so `vigil.example.com:443` and `VIGIL.example.com` are the
 * same site as `https://vigil.example.com`.
 */
export function refuseCrossOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (!sameHost(origin, request.headers.host)) throw forbidden('origin', 'expected a request from this console');
}

function sameHost(origin: string, host: string | undefined): boolean {
  // A host and port, nothing a URL parser would read as a path or credentials.
  if (host === undefined || !/^[^/?#@\\]+$/.test(host) || !URL.canParse(origin)) return false;
  const from = new URL(origin);
  const at = `${from.protocol}//${host}`;
  return URL.canParse(at) && new URL(at).host === from.host;
}
