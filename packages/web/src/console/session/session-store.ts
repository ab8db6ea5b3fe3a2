import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { defineScripts, type Redis, type RoleContext, type TokenScope } from '@vigil/core';

interface SessionCommands {
  vigilReplaceSession(key: string, expected: string, replacement: string, ttlMs: number): Promise<0 | 1>;
}

/** An owner a person signed in through the IdP may act as, with the scope their groups give them there. */
export interface OwnerGrant {
  owner: string;
  scope: TokenScope;
}

/**
 * Who a console session acts as. Today a pasted API token; an OIDC callback will build one from the
 * IdP's claims (groups mapped to a scope and an owner) and call the same `createSession`.
 */
export interface ConsolePrincipal {
  /** Stable across sign-ins, for sign-out everywhere: `token:<id>` for a pasted token. */
  id: string;
  /** The owner whose checks and incidents the session sees, as for an API token. */
  owner: string;
  scope: TokenScope;
  /** Shown in the header and recorded on actions: the token's name. */
  name: string;
  /** The API token signed in with (its id, never the secret): re-read on every request, so revoking it ends the session. */
  tokenId?: string;
  /**
   * Every owner the person's IdP groups grant (derived at sign-in only), `owner` and `scope` being
   * the active one: the header's switcher offers these and no other.
   */
  grants?: OwnerGrant[];
}

/** A session as Redis keeps it, under the SHA-256 of its id. */
export interface ConsoleSession {
  principal: ConsolePrincipal;
  /** Required on every POST (hidden field or `x-csrf-token` header). */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /**
   * The IdP's ID token, kept only when the IdP can end its own session: the `id_token_hint` of the
   * sign-out redirect. Never shown, never logged.
   */
  idToken?: string;
  /** With `idToken`: the origin of the OIDC callback the sign-in came back to (the sign-out's return). */
  signInOrigin?: string;
}

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, however busy. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };

/** 256 random bits, base64url: 43 characters. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

/** Whether two CSRF tokens are equal, in constant time. */
export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Console sessions in Redis: a random id in the cookie, only its hash in a key name, an idle expiry
 * (the key's TTL, renewed on use) capped by an absolute one, and a set per principal for sign-out
 * everywhere. Expiry is judged by the injected clock as well as by Redis.
 */
export class SessionStore {
  private readonly redis: Redis & SessionCommands;

  constructor(
    private readonly ctx: Pick<RoleContext, 'redis' | 'keys' | 'clock'>,
    private readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {
    this.redis = defineScripts<SessionCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** A new session for a principal that has proven who it is; the id goes in the cookie, nowhere else. */
  async createSession(
    principal: ConsolePrincipal,
    extra: { idToken?: string; signInOrigin?: string } = {},
  ): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.ctx.clock.now();
    const session: ConsoleSession = {
      principal,
      csrf: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      ...(extra.idToken !== undefined && { idToken: extra.idToken }),
      ...(extra.idToken !== undefined && extra.signInOrigin !== undefined && { signInOrigin: extra.signInOrigin }),
    };
    const index = this.ctx.keys.consoleSessionsOf(principal.id);
    await this.ctx.redis
      .multi()
      .set(this.ctx.keys.consoleSession(hashOf(id)), JSON.stringify(session), 'PX', this.ttl(session, now))
      .sadd(index, hashOf(id))
      .pexpire(index, this.policy.absoluteMs)
      .exec();
    return { id, session };
  }

  /** The live session of a cookie's id, its idle expiry renewed; undefined (and deleted) once expired. */
  async read(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const key = this.ctx.keys.consoleSession(hashOf(id));
    const json = await this.ctx.redis.get(key);
    if (json === null) return undefined;
    const session = JSON.parse(json) as ConsoleSession;
    const now = this.ctx.clock.now();
    if (this.ttl(session, now) <= 0) {
      await this.destroy(id, session);
      return undefined;
    }
    // A console polls every few seconds: the idle expiry moves on at most once a touch period, not per poll.
    if (now - session.lastSeenAt < this.touchEveryMs()) return session;
    const touched = { ...session, lastSeenAt: now };
    // Lost to a concurrent change (an owner switch): that change stands, and this request goes on as read.
    await this.redis.vigilReplaceSession(key, json, JSON.stringify(touched), this.ttl(touched, now));
    return touched;
  }

  /**
   * Replaces a live session's principal (an owner switch), unless the session changed or ended since
   * `session` was read: false then, and nothing is written.
   */
  async replacePrincipal(id: string, session: ConsoleSession, principal: ConsolePrincipal): Promise<boolean> {
    const now = this.ctx.clock.now();
    const ttl = this.ttl(session, now);
    if (!SESSION_ID.test(id) || ttl <= 0) return false;
    const next: ConsoleSession = { ...session, principal };
    const key = this.ctx.keys.consoleSession(hashOf(id));
    return (await this.redis.vigilReplaceSession(key, JSON.stringify(session), JSON.stringify(next), ttl)) === 1;
  }

  /** Ends one session (sign-out). */
  async destroy(id: string, session?: ConsoleSession): Promise<void> {
    const hash = hashOf(id);
    const multi = this.ctx.redis.multi().del(this.ctx.keys.consoleSession(hash));
    if (session) multi.srem(this.ctx.keys.consoleSessionsOf(session.principal.id), hash);
    await multi.exec();
  }

  /** Ends every session of a principal (sign-out everywhere): how many there were. */
  async destroyAll(principalId: string): Promise<number> {
    const index = this.ctx.keys.consoleSessionsOf(principalId);
    const hashes = await this.ctx.redis.smembers(index);
    const keys = hashes.map((hash) => this.ctx.keys.consoleSession(hash));
    await this.ctx.redis.del(...keys, index);
    return hashes.length;
  }

  /** A tenth of the idle window, at most a minute: how stale `lastSeenAt` may get before a request renews it. */
  private touchEveryMs(): number {
    return Math.min(60_000, this.policy.idleMs / 10);
  }

  /** How long the session may live from `now`: the idle window, never past the absolute end. */
  private ttl(session: ConsoleSession, now: number): number {
    const idleLeft = session.lastSeenAt + this.policy.idleMs - now;
    const absoluteLeft = session.createdAt + this.policy.absoluteMs - now;
    return Math.min(idleLeft, absoluteLeft);
  }
}
