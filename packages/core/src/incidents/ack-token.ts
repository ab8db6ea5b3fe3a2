import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { MAX_DURATION_MS } from '../config/duration.js';
import { VigilError } from '../errors/errors.js';
import type { RoleContext } from '../runtime/context.js';

/** What an acknowledge link carries: which incident (and episode), who was paged, until when. */
export interface AckClaim {
  incidentId: string;
  episode: number;
  /** The person (or channel) the page went to: who acknowledges by following it. */
  by: string;
  expiresAt: number;
  nonce: string;
}

/** What a signed payload must hold; a link that lives longer than any duration Vigil accepts is not one it made. */
const claimSchema = z.strictObject({
  incidentId: z.string().min(1).max(200),
  episode: z.int().min(1),
  by: z.string().min(1).max(200),
  expiresAt: z.int().positive(),
  nonce: z.string().min(1).max(64),
});

const encode = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`ack.${payload}`).digest('base64url');
}

/** A signed, expiring link token; single use is enforced when it is redeemed. */
export function createAckToken(
  secret: string,
  claim: Omit<AckClaim, 'nonce' | 'expiresAt'> & { ttlMs: number; now: number },
): string {
  const body: AckClaim = {
    incidentId: claim.incidentId,
    episode: claim.episode,
    by: claim.by,
    expiresAt: claim.now + claim.ttlMs,
    nonce: randomBytes(12).toString('base64url'),
  };
  const payload = encode(JSON.stringify(body));
  return `${payload}.${sign(secret, payload)}`;
}

/** Checks the signature and expiry; throws TOKEN_INVALID saying which (never which byte). */
export function verifyAckToken(secret: string, token: string, now: number): AckClaim {
  const [payload = '', signature = '', ...rest] = token.split('.');
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new VigilError('TOKEN_INVALID', 'this acknowledge link is not valid');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new VigilError('TOKEN_INVALID', 'this acknowledge link is not valid');
  }
  const claim = claimSchema.safeParse(parsed);
  if (!claim.success || claim.data.expiresAt > now + MAX_DURATION_MS) {
    throw new VigilError('TOKEN_INVALID', 'this acknowledge link is not valid');
  }
  if (!(claim.data.expiresAt > now)) throw new VigilError('TOKEN_INVALID', 'this acknowledge link has expired');
  return claim.data;
}

/** Verifies a token and marks it used (SET NX until it expires): a second use is refused. */
export async function redeemAckToken(
  ctx: Pick<RoleContext, 'redis' | 'keys'> & { secret: string },
  token: string,
  now: number,
): Promise<AckClaim> {
  const claim = verifyAckToken(ctx.secret, token, now);
  const fresh = await ctx.redis.set(
    ctx.keys.ackTokenUsed(claim.nonce),
    String(now),
    'PX',
    claim.expiresAt - now + 1,
    'NX',
  );
  if (fresh !== 'OK') throw new VigilError('TOKEN_INVALID', 'this acknowledge link has already been used');
  return claim;
}

/**
 * VIGIL_SECRET when set; otherwise one generated once and kept in Redis, so every role of a demo
 * fleet signs and verifies with the same key. Production sets VIGIL_SECRET.
 */
export async function resolveSecret(
  ctx: Pick<RoleContext, 'redis' | 'keys'>,
  configured: string | undefined,
): Promise<{ secret: string; generated: boolean }> {
  if (configured) return { secret: configured, generated: false };
  await ctx.redis.set(ctx.keys.generatedSecret, randomBytes(32).toString('base64url'), 'NX');
  const secret = await ctx.redis.get(ctx.keys.generatedSecret);
  if (!secret) throw new VigilError('REDIS_UNAVAILABLE', 'could not store the generated secret in Redis');
  return { secret, generated: true };
}
