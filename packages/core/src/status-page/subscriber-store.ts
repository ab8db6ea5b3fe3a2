import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';

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

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface SubscriberCommands {
  vigilSubscribe(
    byEmail: string,
    mail: string,
    subscriberStem: string,
    newId: string,
    email: string,
    emailHash: string,
    requested: string,
    now: number,
    pendingTtlMs: number,
    baseUrl: string,
  ): Promise<string>;
  vigilConfirmSubscriber(
    token: string,
    subscriberStem: string,
    byEmailStem: string,
    setStem: string,
    all: string,
    now: number,
  ): Promise<[string, string] | null>;
  vigilUnsubscribe(subscriber: string, byEmailStem: string, setStem: string, all: string, id: string): Promise<number>;
}

const ID_SHAPE = /^[A-Za-z0-9_-]{12}$/;

/**
 * Status page email subscribers, double opt-in. Redis never holds a usable token: confirmation
 * tokens are stored as SHA-256 hashes, and the unsubscribe token is an HMAC of the subscriber id
 * under the Vigil secret, so it needs no storage and only ever exists in mails.
 */
export class SubscriberStore {
  private readonly redis: Redis & SubscriberCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; secret: string }) {
    this.redis = defineScripts<SubscriberCommands>(ctx.redis, new URL('./lua/', import.meta.url));
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
      keys.subscriberStem,
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
    const reply = await this.redis.vigilConfirmSubscriber(
      keys.subscriberToken(sha256(token)),
      keys.subscriberStem,
      keys.subscriberByEmailStem,
      keys.subscribersOfStem,
      keys.subscribersOf(ALL),
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
      keys.subscriber(id),
      keys.subscriberByEmailStem,
      keys.subscribersOfStem,
      keys.subscribersOf(ALL),
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
