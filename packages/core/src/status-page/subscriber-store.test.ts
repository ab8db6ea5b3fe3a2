import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import { PENDING_SUBSCRIPTION_TTL_MS, SubscriberStore, subscriberEmailSchema } from './subscriber-store.js';

const BASE_URL = 'https://status.example.com';

describe('SubscriberStore', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let store: SubscriberStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const test = await testRedis('subscribers');
    ({ redis, cleanup } = test);
    keys = redisKeys(test.prefix);
    store = new SubscriberStore({ redis, keys, secret: 'test-secret-0123456789' });
  });
  afterEach(() => cleanup());

  async function subscribed(email: string, components: string[]): Promise<string> {
    const { id } = await store.subscribe({ email, components, baseUrl: BASE_URL }, T0);
    const pending = await store.issueConfirmation(id);
    await store.confirm(pending?.token ?? '', T0);
    return id;
  }

  it('normalises addresses: trimmed, domain lowercased, local part kept', () => {
    expect(subscriberEmailSchema.parse('  Ana.B@Example.COM ')).toBe('Ana.B@example.com');
    expect(subscriberEmailSchema.safeParse('not-an-address').success).toBe(false);
    expect(subscriberEmailSchema.safeParse(`${'a'.repeat(250)}@example.com`).success).toBe(false);
  });

  it('receives nothing until the confirmation link is followed, then hears about its components', async () => {
    const { id } = await store.subscribe({ email: 'ana@example.com', components: ['api'], baseUrl: BASE_URL }, T0);
    expect(await store.subscribersFor(['api'])).toEqual([]);
    const [[, fields] = ['', []]] = await redis.xrange(keys.subscriberMail, '-', '+');
    expect(fields).toEqual(['type', 'confirm', 'id', id, 'url', BASE_URL]);

    const pending = await store.issueConfirmation(id);
    expect(pending).toMatchObject({ id, email: 'ana@example.com', components: ['api'], confirmed: false });
    expect(await store.confirm(pending?.token ?? '', T0)).toEqual({ id, components: ['api'] });

    expect(await store.subscribersFor(['api'])).toEqual([{ id, email: 'ana@example.com' }]);
    expect(await store.subscribersFor(['lb'])).toEqual([]);
    expect(await redis.pttl(keys.subscriber(id))).toBe(-1);
  });

  it('keeps no token in Redis, and a confirmation link works once', async () => {
    const { id } = await store.subscribe({ email: 'ana@example.com', components: [], baseUrl: BASE_URL }, T0);
    const pending = await store.issueConfirmation(id);
    const token = pending?.token ?? '';
    const everything = await redis.keys(`${keys.prefix}:*`);
    const values = await Promise.all(everything.map((key) => redis.dump(key)));
    expect(everything.join(' ')).not.toContain(token);
    expect(values.join(' ')).not.toContain(token);
    expect(everything.join(' ')).not.toContain('ana@example.com');

    expect(await store.confirm(token, T0)).toEqual({ id, components: [] });
    expect(await store.confirm(token, T0)).toBeUndefined();
    expect(await store.confirm('forged', T0)).toBeUndefined();
  });

  it('lets an unconfirmed sign-up expire', async () => {
    const { id } = await store.subscribe({ email: 'ana@example.com', components: [], baseUrl: BASE_URL }, T0);
    const ttl = await redis.pttl(keys.subscriber(id));
    expect(ttl).toBeGreaterThan(PENDING_SUBSCRIPTION_TTL_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(PENDING_SUBSCRIPTION_TTL_MS);
  });

  it('subscribes to everything without a list', async () => {
    const id = await subscribed('ana@example.com', []);
    expect(await store.subscribersFor(['api'])).toEqual([{ id, email: 'ana@example.com' }]);
    expect(await store.subscribersFor(['lb'])).toEqual([{ id, email: 'ana@example.com' }]);
  });

  it('is one subscriber per address; a new choice applies only once confirmed', async () => {
    const id = await subscribed('ana@example.com', ['api']);
    const again = await store.subscribe({ email: 'ana@example.com', components: ['lb'], baseUrl: BASE_URL }, T0);
    expect(again.id).toBe(id);
    expect(await store.subscribersFor(['lb'])).toEqual([]);
    expect(await store.subscribersFor(['api'])).toHaveLength(1);
    expect(await redis.pttl(keys.subscriber(id))).toBe(-1);

    const pending = await store.issueConfirmation(id);
    expect(pending).toMatchObject({ components: ['lb'], confirmed: true });
    await store.confirm(pending?.token ?? '', T0);
    expect(await store.subscribersFor(['api'])).toEqual([]);
    expect(await store.subscribersFor(['lb'])).toEqual([{ id, email: 'ana@example.com' }]);
  });

  it('unsubscribes by the HMAC token in mails; a forged one does nothing', async () => {
    const id = await subscribed('ana@example.com', ['api']);
    const token = store.unsubscribeToken(id);
    expect(await store.unsubscribe(`${id}.${'A'.repeat(43)}`)).toBe(false);
    expect(await store.unsubscribe(token)).toBe(true);
    expect(await store.unsubscribe(token)).toBe(false);
    expect(await store.subscribersFor(['api'])).toEqual([]);

    const back = await store.subscribe({ email: 'ana@example.com', components: ['api'], baseUrl: BASE_URL }, T0);
    expect(back.id).not.toBe(id);
  });

  it('admits so many sign-ups per hour per client and per address', async () => {
    const admit = (client: string, email: string) => store.admitSignup({ client, email }, T0, 2);
    expect(await admit('10.0.0.1', 'a@example.com')).toBe(true);
    expect(await admit('10.0.0.1', 'b@example.com')).toBe(true);
    expect(await admit('10.0.0.1', 'c@example.com')).toBe(false);
    expect(await admit('10.0.0.2', 'a@example.com')).toBe(true);
    expect(await admit('10.0.0.3', 'a@example.com')).toBe(false);
    expect(await store.admitSignup({ client: '10.0.0.1', email: 'd@example.com' }, T0 + 3_600_000, 2)).toBe(true);
  });
});
