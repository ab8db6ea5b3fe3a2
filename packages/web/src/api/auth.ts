import { type ApiToken, type TokenScope, VigilError } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';

/** Who may call a route: anyone, or a token with at least this scope (read < write < admin). */
export type Access = 'public' | TokenScope;

const RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** Whether a token's scope covers what a route needs. */
export function hasScope(token: Pick<ApiToken, 'scope'>, needed: TokenScope): boolean {
  return RANK[token.scope] >= RANK[needed];
}

/** The one scope rule of the API and the console: 403 naming the scope needed when the token's is smaller. */
export function requireScope(token: Pick<ApiToken, 'scope'>, needed: TokenScope): void {
  if (hasScope(token, needed)) return;
  throw new VigilError('FORBIDDEN', `this needs a token with the ${needed} scope; this one has ${token.scope}`, [
    { path: 'authorization', message: `expected the ${needed} scope` },
  ]);
}

/** Counts one request in a fixed window of `perMs` (INCR, expiry set with the first): the count so far and seconds to reset. */
async function fixedWindow(ctx: WebContext, id: string, perMs: number): Promise<{ count: number; resetS: number }> {
  const now = ctx.clock.now();
  const window = Math.floor(now / perMs);
  const key = ctx.keys.rateLimit(id, window);
  const replies = await ctx.redis.multi().incr(key).pexpire(key, perMs, 'NX').exec();
  return { count: Number(replies?.[0]?.[1] ?? 0), resetS: Math.ceil(((window + 1) * perMs - now) / 1000) };
}

/**
 * Counts one request against the token's fixed window (INCR, expiry set with the first), answering
 * 429 with Retry-After once the window is full. The limit headers go on every answer.
 */
export async function rateLimit(ctx: WebContext, token: ApiToken, reply: FastifyReply): Promise<void> {
  const { max, perMs } = token.rateLimit;
  const { count, resetS } = await fixedWindow(ctx, token.id, perMs);
  reply.header('x-ratelimit-limit', String(max));
  reply.header('x-ratelimit-remaining', String(Math.max(0, max - count)));
  reply.header('x-ratelimit-reset', String(resetS));
  if (count > max) {
    reply.header('retry-after', String(resetS));
    throw new VigilError(
      'RATE_LIMITED',
      `rate limit: this token allows ${max} requests per ${perMs / 1000}s; retry in ${resetS}s`,
      [{ path: 'rateLimit', message: `at most ${max} requests per ${perMs / 1000}s` }],
    );
  }
}

/** Requests with a malformed or unknown token one client address may send per window. */
export const INVALID_TOKEN_LIMIT = { max: 30, perMs: 60_000 };

/**
 * Requests with a malformed or unknown token are limited per client address, with the same fixed
 * window as token limits: past the limit they get 429 with Retry-After instead of 401. A valid token
 * from that address still works: its secret (192 random bits) cannot be guessed, and an address
 * shared behind a proxy or NAT must not let one client lock everyone else out.
 */
export async function invalidTokenLimit(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { max, perMs } = INVALID_TOKEN_LIMIT;
  const used = await fixedWindow(ctx, `invalid-token:${request.ip}`, perMs);
  if (used.count <= max) return;
  reply.header('retry-after', String(used.resetS));
  throw new VigilError(
    'RATE_LIMITED',
    `rate limit: at most ${max} requests with an invalid token per ${perMs / 1000}s from one address; retry in ${used.resetS}s`,
    [{ path: 'authorization', message: `at most ${max} invalid tokens per ${perMs / 1000}s` }],
  );
}

/** The caller's token for a route that needs one: 401 without a valid one, 403 for too small a scope. */
export async function authenticate(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  access: Access,
): Promise<ApiToken | undefined> {
  if (access === 'public') return undefined;
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    if (header !== undefined) await invalidTokenLimit(ctx, request, reply);
    reply.header('www-authenticate', 'Bearer realm="vigil"');
    throw new VigilError(
      'UNAUTHORIZED',
      'authorization: expected "Bearer <token>" (create one with `vigil tokens create`)',
      [{ path: 'authorization', message: 'expected "Bearer <token>"' }],
    );
  }
  const token = await ctx.tokens.verify(match[1], ctx.clock.now());
  if (!token) {
    await invalidTokenLimit(ctx, request, reply);
    reply.header('www-authenticate', 'Bearer realm="vigil", error="invalid_token"');
    throw new VigilError('UNAUTHORIZED', 'authorization: the token is unknown or revoked', [
      { path: 'authorization', message: 'unknown or revoked token' },
    ]);
  }
  await rateLimit(ctx, token, reply);
  requireScope(token, access);
  return token;
}
