import { type ApiToken, tokenInputSchema, tokenPatchSchema, VigilError } from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { hasScope } from '../auth.js';
import { type Route, route } from '../route.js';

export const idParams = z.strictObject({
  id: z.string().regex(/^[a-z0-9]{8}$/, { error: 'expected a token id (8 characters)' }),
});

/**
 * A token's record with how much of its check quota its owner uses and when it was last used
 * (to the minute; null when never); never the token or its hash.
 */
export type TokenView = ApiToken & { checksUsed: number; lastUsedAt: number | null };

async function tokenViews(ctx: WebContext, tokens: readonly ApiToken[]): Promise<TokenView[]> {
  const lastUsed = await ctx.tokens.lastUsed(tokens.map((token) => token.id));
  return Promise.all(
    tokens.map(async (token) => ({
      ...token,
      checksUsed: await ctx.checks.countOwned(token.owner),
      lastUsedAt: lastUsed.get(token.id) ?? null,
    })),
  );
}

async function tokenView(ctx: WebContext, token: ApiToken): Promise<TokenView> {
  const [view] = await tokenViews(ctx, [token]);
  return view as TokenView;
}

function notFound(id: string): VigilError {
  return new VigilError('NOT_FOUND', `no token ${id}`, [{ path: 'id', message: 'no such token' }]);
}

/** Creates a token for an admin; the returned `token` is the only time its secret is shown. */
export async function createToken(
  ctx: WebContext,
  actor: ApiToken,
  input: z.output<typeof tokenInputSchema>,
): Promise<TokenView & { token: string }> {
  const created = await ctx.tokens.create(input, {
    now: ctx.clock.now(),
    createdBy: `${actor.owner} (${actor.name})`,
  });
  ctx.log.info({ tokenId: created.record.id, owner: input.owner, scope: input.scope }, 'token created');
  return { token: created.token, ...(await tokenView(ctx, created.record)) };
}

/** Every token for an admin, else just the caller's own: records and quota use, never a secret. */
export async function listTokens(ctx: WebContext, actor: ApiToken): Promise<TokenView[]> {
  return tokenViews(ctx, hasScope(actor, 'admin') ? await ctx.tokens.list() : [actor]);
}

/** Revokes a token at once: an admin any, others only their own (another's is NOT_FOUND, as if absent). */
export async function revokeToken(ctx: WebContext, actor: ApiToken, id: string): Promise<void> {
  if (id !== actor.id && !hasScope(actor, 'admin')) throw notFound(id);
  if (!(await ctx.tokens.revoke(id))) throw notFound(id);
  ctx.log.info({ tokenId: id }, 'token revoked');
}

export function tokenRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: 'Create a token; the response is the only time the token itself is shown',
      tag: 'tokens',
      access: 'admin',
      body: tokenInputSchema,
      status: 201,
      handler: ({ body, token }) => createToken(ctx, token, body),
    }),
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'Every token (admin), or just the caller’s own',
      tag: 'tokens',
      access: 'read',
      handler: async ({ token }) => ({ items: await listTokens(ctx, token) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/tokens/self',
      summary: 'The caller’s token: owner, scope, quota and rate limit',
      tag: 'tokens',
      access: 'read',
      handler: ({ token }) => tokenView(ctx, token),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/tokens/:id',
      summary: 'Raise or lower a token’s quota and rate limit',
      tag: 'tokens',
      access: 'admin',
      params: idParams,
      body: tokenPatchSchema,
      async handler({ params, body }) {
        if (!(await ctx.tokens.get(params.id))) throw notFound(params.id);
        return tokenView(ctx, await ctx.tokens.update(params.id, body));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke a token at once (admins any, others their own)',
      tag: 'tokens',
      access: 'read',
      params: idParams,
      status: 204,
      async handler({ params, token, reply }) {
        await revokeToken(ctx, token, params.id);
        return reply.code(204).send();
      },
    }),
  ];
}
