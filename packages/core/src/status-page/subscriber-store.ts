import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../runtime/keys.js';

/** An unconfirmed sign-up, and its confirmation link, vanish after this long. */
export const PENDING_SUBSCRIPTION_TTL_MS = 48 * 3_600_000;
/** RFC 5321's limit on a forward path. */
export const MAX_EMAIL_LENGTH = 254;
const SIGNUP_WINDOW_MS = 3_600_000;
/** Every component: the subscriber set of a sign-up without a list. */
const ALL = '*';

/** A subscriber's address, trimmed and with its domain lowercased (the local part may be case-sensitive). */
export const subscriberEmailSchema = z
  .string({ error: 'expected an email address' })
  .trim()
  .max(MAX_EMAIL_LENGTH, { error: `expected at most ${MAX_EMAIL_LENGTH} characters` })
  .pipe(z.email({ error: 'expected an email address' }))
  .transform((email) => {
    const at = email.lastIndexOf('@');
    return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
  });

/** A sign-up from the status page. */
export interface SignUpRequest {
  /** Normalised by `subscriberEmailSchema`. */
  email: string;
  /** Public component ids; empty for all. */
  components: readonly string[];
  /** Where the confirmation link points: the status page as the subscriber reached it. */
  baseUrl: string;
}

/** A confirmed subscriber an update goes to. */
export interface SubscriberRecipient {
  id: string;
  email: string;
}

/** What a confirmation mail needs: where it goes, what it confirms, and its single-use token. */
export interface PendingConfirmation extends SubscriberRecipient {
  /** Component ids the link subscribes to; empty for all. */
  components: string[];
  /** True when the address is already subscribed and the link changes its components. */
  confirmed: boolean;
  token: string;
}

/**
 * KEYS byEmail, mail stream. ARGV record key prefix, new id, email, email hash, requested, now, ttl,
 * base URL of the links.
 * Creates the pending subscriber or records what an existing one asks for now; either way queues a
 * confirmation mail, so a sign-up never changes a subscription before its owner follows the link.
 */
const SUBSCRIBE = `
local id = redis.call('GET', KEYS[1])
if id and redis.call('EXISTS', ARGV[1] .. id) == 0 then id = false end
if not id then
  id = ARGV[2]
  redis.call('HSET', ARGV[1] .. id, 'email', ARGV[3], 'emailHash', ARGV[4], 'components', '',
    'requested', ARGV[5], 'confirmed', '0', 'createdAt', ARGV[6])
  redis.call('SET', KEYS[1], id)
else
  redis.call('HSET', ARGV[1] .. id, 'requested', ARGV[5])
end
if redis.call('HGET', ARGV[1] .. id, 'confirmed') ~= '1' then
  redis.call('PEXPIRE', ARGV[1] .. id, ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'type', 'confirm', 'id', id, 'url', ARGV[8])
return id
`;

/** Lua: calls `fn` with the subscriber set key of each component in a comma-joined list ('' = all). */
const EACH_SET = `
local function each_set(prefix, list, fn)
  if list == '' then fn(prefix .. '${ALL}') return end
  for component in string.gmatch(list, '[^,]+') do fn(prefix .. component) end
end
`;

/**
 * KEYS token. ARGV record key prefix, byEmail key prefix, set key prefix, now. Single use: the token
 * goes first. Moves the subscriber from the sets of its old components to those it asked for.
 */
const CONFIRM = `${EACH_SET}
local id = redis.call('GET', KEYS[1])
if not id then return false end
redis.call('DEL', KEYS[1])
local record = ARGV[1] .. id
local f = redis.call('HMGET', record, 'confirmed', 'components', 'requested', 'emailHash')
if not f[4] then return false end
if f[1] == '1' then each_set(ARGV[3], f[2], function(key) redis.call('SREM', key, id) end) end
each_set(ARGV[3], f[3], function(key) redis.call('SADD', key, id) end)
redis.call('HSET', record, 'confirmed', '1', 'components', f[3], 'confirmedAt', ARGV[4])
redis.call('PERSIST', record)
redis.call('PERSIST', ARGV[2] .. f[4])
return { id, f[3] }
`;

/** ARGV record key prefix, byEmail key prefix, set key prefix, id. Returns 1 when there was one. */
const UNSUBSCRIBE = `${EACH_SET}
local id = ARGV[4]
local f = redis.call('HMGET', ARGV[1] .. id, 'confirmed', 'components', 'emailHash')
if not f[3] then return 0 end
if f[1] == '1' then each_set(ARGV[3], f[2], function(key) redis.call('SREM', key, id) end) end
redis.call('DEL', ARGV[1] .. id)
if redis.call('GET', ARGV[2] .. f[3]) == id then redis.call('DEL', ARGV[2] .. f[3]) end
return 1
`;

type ScriptRedis = Redis & {
  vigilSubscribe(byEmail: string, stream: string, ...args: (string | number)[]): Promise<string>;
  vigilSubscriberConfirm(token: string, ...args: (string | number)[]): Promise<[string, string] | null>;
  vigilUnsubscribe(...args: string[]): Promise<number>;
};

const ID_SHAPE = /^[A-Za-z0-9_-]{12}$/;

/**
 * Status page email subscribers, double opt-in. Redis never holds a usable token: confirmation
 * tokens are stored as SHA-256 hashes, and the unsubscribe token is an HMAC of the subscriber id
 * under the Vigil secret, so it needs no storage and only ever exists in mails.
 */
export class SubscriberStore {
  private readonly redis: ScriptRedis;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; secret: string }) {
    const scripts = [
      ['vigilSubscribe', 2, SUBSCRIBE],
      ['vigilSubscriberConfirm', 1, CONFIRM],
      ['vigilUnsubscribe', 0, UNSUBSCRIBE],
    ] as const;
    for (const [name, numberOfKeys, lua] of scripts)
      if (!(name in ctx.redis)) ctx.redis.defineCommand(name, { numberOfKeys, lua });
    this.redis = ctx.redis as ScriptRedis;
  }

  /**
   * Signs an address up for `components` (empty: all), or records a new choice of an existing
   * subscriber, and queues the confirmation mail. Nothing changes what it receives until confirmed.
   */
  async subscribe(request: SignUpRequest, now: number): Promise<{ id: string }> {
    const { keys } = this.ctx;
    const { email, components, baseUrl } = request;
    const emailHash = sha256(email);
    const id = await this.redis.vigilSubscribe(
      keys.subscriberByEmail(emailHash),
      keys.subscriberMail,
      keys.subscriber(''),
      randomBytes(9).toString('base64url'),
      email,
      emailHash,
      [...new Set(components)].join(','),
      now,
      PENDING_SUBSCRIPTION_TTL_MS,
      baseUrl,
    );
    return { id };
  }

  /** Mints the single-use token of a confirmation mail; undefined once the subscriber is gone. */
  async issueConfirmation(id: string): Promise<PendingConfirmation | undefined> {
    const { redis, keys } = this.ctx;
    const [email, requested, confirmed] = await redis.hmget(keys.subscriber(id), 'email', 'requested', 'confirmed');
    if (!email) return undefined;
    const token = randomBytes(24).toString('base64url');
    await redis.set(keys.subscriberToken(sha256(token)), id, 'PX', PENDING_SUBSCRIPTION_TTL_MS);
    return { id, email, components: splitList(requested ?? ''), confirmed: confirmed === '1', token };
  }

  /** Follows a confirmation link: the components now subscribed to (empty: all), or undefined. */
  async confirm(token: string, now: number): Promise<{ id: string; components: string[] } | undefined> {
    const { keys } = this.ctx;
    const reply = await this.redis.vigilSubscriberConfirm(
      keys.subscriberToken(sha256(token)),
      keys.subscriber(''),
      keys.subscriberByEmail(''),
      keys.subscribersOf(''),
      now,
    );
    return reply ? { id: reply[0], components: splitList(reply[1]) } : undefined;
  }

  /** The link in every mail; it stays valid as long as the subscription. */
  unsubscribeToken(id: string): string {
    return `${id}.${this.sign(id)}`;
  }

  /** Removes the subscriber an unsubscribe token names; false for a forged token or one already used. */
  async unsubscribe(token: string): Promise<boolean> {
    const id = this.verifyUnsubscribeToken(token);
    if (id === undefined) return false;
    const { keys } = this.ctx;
    const removed = await this.redis.vigilUnsubscribe(
      keys.subscriber(''),
      keys.subscriberByEmail(''),
      keys.subscribersOf(''),
      id,
    );
    return removed === 1;
  }

  /** Whether an unsubscribe token is genuine (it may name a subscriber already gone). */
  verifyUnsubscribeToken(token: string): string | undefined {
    const [id = '', signature = '', ...rest] = token.split('.');
    if (rest.length > 0 || !ID_SHAPE.test(id)) return undefined;
    const expected = Buffer.from(this.sign(id));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  /** Confirmed subscribers of any of the components, or of everything; each once. */
  async subscribersFor(componentIds: readonly string[]): Promise<SubscriberRecipient[]> {
    const { redis, keys } = this.ctx;
    const ids = await redis.sunion(keys.subscribersOf(ALL), ...componentIds.map((id) => keys.subscribersOf(id)));
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.subscriber(id), 'email', 'confirmed');
    const replies = (await pipeline.exec()) ?? [];
    return ids.flatMap((id, i) => {
      const [email, confirmed] = (replies[i]?.[1] ?? []) as (string | null)[];
      return email && confirmed === '1' ? [{ id, email }] : [];
    });
  }

  /**
   * Counts a sign-up against the hourly allowance of the client and of the address (both hashed:
   * neither is kept readable); false once either is over `perHour`.
   */
  async admitSignup(who: { client: string; email: string }, now: number, perHour: number): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const window = Math.floor(now / SIGNUP_WINDOW_MS);
    const scopes = [`client:${sha256(who.client)}`, `email:${sha256(who.email)}`];
    const pipeline = redis.pipeline();
    for (const scope of scopes)
      pipeline.incr(keys.subscriberRate(scope, window)).pexpire(keys.subscriberRate(scope, window), SIGNUP_WINDOW_MS);
    const replies = (await pipeline.exec()) ?? [];
    return replies.every(([, count], i) => i % 2 === 1 || Number(count) <= perHour);
  }

  private sign(id: string): string {
    return createHmac('sha256', this.ctx.secret).update(`unsubscribe.${id}`).digest('base64url');
  }
}

function splitList(list: string): string[] {
  return list === '' ? [] : list.split(',');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
