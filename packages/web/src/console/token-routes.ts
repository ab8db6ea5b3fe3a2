import { tokenInputSchema, validationError } from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import { requireScope } from '../api/auth.js';
import { createToken, idParams, listTokens, revokeToken } from '../api/routes/tokens.js';
import { type ConsolePageDeps, parseInput } from './page-deps.js';
import { requireAction, requirePage, type Signed } from './session/console-session.js';
import { type TokenForm, tokenCreatedBody, tokensBody } from './view/tokens.js';

const FORM_FIELDS = ['name', 'owner', 'scope', 'quota.checks', 'quota.minInterval', 'quota.vantages'] as const;

/** The form's fields as typed, trimmed; the rest of the body (such as `_csrf`) left out. */
function readForm(body: unknown): TokenForm {
  const raw = (body ?? {}) as Record<string, unknown>;
  const form: TokenForm = {};
  for (const name of FORM_FIELDS) {
    const value = raw[name];
    if (typeof value === 'string' && value.trim() !== '') form[name] = value.trim();
  }
  return form;
}

/** A whole number as a number, anything else as typed so the schema names the field that is not one. */
const count = (text: string | undefined) => (text !== undefined && /^[0-9]{1,9}$/.test(text) ? Number(text) : text);

/** The form as the API's token body, empty fields left to their defaults. */
function tokenInput(form: TokenForm) {
  const quota = {
    ...(form['quota.checks'] !== undefined && { checks: count(form['quota.checks']) }),
    ...(form['quota.minInterval'] !== undefined && { minInterval: form['quota.minInterval'] }),
    ...(form['quota.vantages'] !== undefined && { vantages: count(form['quota.vantages']) }),
  };
  return {
    ...(form.name !== undefined && { name: form.name }),
    owner: form.owner ?? '',
    scope: form.scope ?? '',
    ...(Object.keys(quota).length > 0 && { quota }),
  };
}

/**
 * `/console/tokens` for admins: list, create (the secret on the result page only) and revoke, through
 * the functions the API's token routes call. Revoking also ends the token's console sessions at once.
 */
export function registerTokenPages(app: FastifyInstance, deps: ConsolePageDeps): void {
  const { ctx, sessions, assets, send } = deps;
  const page = async (signed: Signed, state: { form?: TokenForm; error?: string } = {}) =>
    tokensBody({ tokens: await listTokens(ctx, signed.token), csrf: signed.session.csrf, ...state });

  app.get('/console/tokens', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    requireScope(signed.token, 'admin');
    return send(reply, assets, { title: 'Tokens', body: await page(signed), signed });
  });

  app.post('/console/tokens', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    requireScope(signed.token, 'admin');
    const form = readForm(request.body);
    const input = tokenInput(form);
    const parsed = tokenInputSchema.safeParse(input);
    if (!parsed.success) {
      const error = validationError(parsed.error, input).message;
      return send(reply, assets, { title: 'Tokens', body: await page(signed, { form, error }), signed }, 400);
    }
    const { token: secret, ...token } = await createToken(ctx, signed.token, parsed.data);
    return send(reply, assets, { title: 'Token created', body: tokenCreatedBody({ secret, token }), signed }, 201);
  });

  app.post('/console/tokens/:id/revoke', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    requireScope(signed.token, 'admin');
    const id = parseInput(idParams, request.params).id;
    await revokeToken(ctx, signed.token, id);
    await sessions.destroyAll(`token:${id}`);
    return reply.code(303).header('location', '/console/tokens').send();
  });
}
