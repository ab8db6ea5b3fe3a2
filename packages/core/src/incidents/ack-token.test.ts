import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../errors/errors.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import { createAckToken, redeemAckToken, resolveSecret, verifyAckToken } from './ack-token.js';

const SECRET = 'a-long-enough-test-secret';
const HOUR = 3_600_000;

function token(overrides: { secret?: string; ttlMs?: number; now?: number } = {}): string {
  return createAckToken(overrides.secret ?? SECRET, {
    incidentId: '42',
    episode: 2,
    by: 'ana',
    ttlMs: overrides.ttlMs ?? HOUR,
    now: overrides.now ?? T0,
  });
}

/** Runs `fn` and returns the TOKEN_INVALID message it threw. */
async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (isVigilError(err, 'TOKEN_INVALID')) return err.message;
    throw err;
  }
  throw new Error('expected the token to be refused');
}

describe('ack tokens: signature and expiry', () => {
  it('round-trips the claim', () => {
    const claim = verifyAckToken(SECRET, token(), T0 + 1_000);
    expect(claim).toMatchObject({ incidentId: '42', episode: 2, by: 'ana', expiresAt: T0 + HOUR });
    expect(claim.nonce).toMatch(/^[\w-]{16}$/);
  });

  it('gives each token its own nonce', () => {
    expect(verifyAckToken(SECRET, token(), T0).nonce).not.toBe(verifyAckToken(SECRET, token(), T0).nonce);
  });

  it('refuses a tampered payload', async () => {
    const [payload = '', signature = ''] = token().split('.');
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claim, incidentId: '43' })).toString('base64url');
    expect(await refusal(() => verifyAckToken(SECRET, `${forged}.${signature}`, T0))).toBe(
      'this acknowledge link is not valid',
    );
  });

  it('refuses a tampered, truncated, missing or extra signature', async () => {
    const good = token();
    const [payload = '', signature = ''] = good.split('.');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [`${payload}.${flipped}`, `${payload}.${signature.slice(1)}`, payload, `${good}.extra`, '']) {
      expect(await refusal(() => verifyAckToken(SECRET, bad, T0))).toBe('this acknowledge link is not valid');
    }
  });

  it('refuses a token signed with another secret', async () => {
    expect(await refusal(() => verifyAckToken(SECRET, token({ secret: 'another-secret' }), T0))).toBe(
      'this acknowledge link is not valid',
    );
  });

  it('refuses an expired token, from its expiry on', async () => {
    expect(verifyAckToken(SECRET, token(), T0 + HOUR - 1).incidentId).toBe('42');
    expect(await refusal(() => verifyAckToken(SECRET, token(), T0 + HOUR))).toBe('this acknowledge link has expired');
  });
});

describe('ack tokens in Redis', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;

  beforeEach(async () => {
    ctx = await testRedis('ack-token');
    keys = redisKeys(ctx.prefix);
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  it('refuses a signed token whose expiry no Vigil would give, before it reaches Redis', async () => {
    for (const ttlMs of [1e15, Number.MAX_SAFE_INTEGER - T0, 400 * 24 * HOUR]) {
      const absurd = token({ ttlMs });
      expect(await refusal(() => redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, absurd, T0))).toBe(
        'this acknowledge link is not valid',
      );
    }
  });

  it('redeems a token once; the second use is refused', async () => {
    const link = token();
    const claim = await redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, link, T0 + 5_000);
    expect(claim).toMatchObject({ incidentId: '42', episode: 2, by: 'ana' });
    expect(await refusal(() => redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, link, T0 + 6_000))).toBe(
      'this acknowledge link has already been used',
    );
  });

  it('keeps the used mark no longer than the token could be used', async () => {
    const link = token({ ttlMs: 60_000 });
    const claim = await redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, link, T0 + 10_000);
    const ttl = await ctx.redis.pttl(keys.ackTokenUsed(claim.nonce));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50_001);
  });

  it('does not mark a refused token used', async () => {
    const link = token();
    await refusal(() => redeemAckToken({ redis: ctx.redis, keys, secret: 'wrong' }, link, T0));
    await refusal(() => redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, link, T0 + 2 * HOUR));
    expect((await redeemAckToken({ redis: ctx.redis, keys, secret: SECRET }, link, T0)).by).toBe('ana');
  });

  it('uses the configured secret as is', async () => {
    expect(await resolveSecret({ redis: ctx.redis, keys }, 'configured')).toEqual({
      secret: 'configured',
      generated: false,
    });
    expect(await ctx.redis.exists(keys.generatedSecret)).toBe(0);
  });

  it('generates one secret, once, shared by every role', async () => {
    const [first, second] = await Promise.all([
      resolveSecret({ redis: ctx.redis, keys }, undefined),
      resolveSecret({ redis: ctx.redis, keys }, undefined),
    ]);
    const third = await resolveSecret({ redis: ctx.redis, keys }, undefined);
    expect(first?.generated).toBe(true);
    expect(first?.secret.length).toBeGreaterThanOrEqual(40);
    expect(second?.secret).toBe(first?.secret);
    expect(third.secret).toBe(first?.secret);
    const link = token({ secret: third.secret });
    expect(verifyAckToken(first?.secret ?? '', link, T0).incidentId).toBe('42');
  });
});
