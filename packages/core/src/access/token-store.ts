import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { VigilError } from '../errors/errors.js';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import {
  type ApiToken,
  DEFAULT_QUOTA,
  DEFAULT_RATE_LIMIT,
  type quotaSchema,
  type TokenQuota,
  type tokenInputSchema,
  type tokenPatchSchema,
} from './api-token.js';

const TOKEN_PREFIX = 'vgl_';
const TOKEN_SHAPE = /^vgl_([a-z0-9]{8})_([A-Za-z0-9_-]{32})$/;
/** A token's last use is noted at most this often: a busy token writes once a minute, not per request. */
export const LAST_USED_EVERY_MS = 60_000;

/** The scripts of `lua/`, as commands. */
interface TokenCommands {
  vigilVerifyToken(
    byHash: string,
    tokens: string,
    lastUsed: string,
    hash: string,
    now: number,
    every: number,
  ): Promise<string | null>;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function applyQuota(base: TokenQuota, input: z.output<typeof quotaSchema> | undefined): TokenQuota {
  return {
    checks: input?.checks ?? base.checks,
    minIntervalMs: input?.minInterval ?? base.minIntervalMs,
    vantages: input?.vantages ?? base.vantages,
  };
}

/**
 * Bearer tokens: `vgl_<id>_<secret>`, shown once when created. Redis holds the SHA-256 of each
 * token (a fast hash is enough for 192 random bits) and its record, so a leaked dump grants nothing.
 */
export class TokenStore {
  private readonly redis: Redis & TokenCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<TokenCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Creates a token; the returned `token` is the only time its secret exists outside the caller. */
  async create(
    input: z.output<typeof tokenInputSchema>,
    options: { now: number; createdBy: string },
  ): Promise<{ token: string; record: ApiToken }> {
    const id = randomBytes(6).toString('hex').slice(0, 8);
    const token = `${TOKEN_PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    const record: ApiToken = {
      id,
      name: input.name ?? `${input.owner}-${input.scope}`,
      owner: input.owner,
      scope: input.scope,
      quota: applyQuota(DEFAULT_QUOTA[input.scope], input.quota),
      rateLimit: input.rateLimit ? { max: input.rateLimit.max, perMs: input.rateLimit.per } : DEFAULT_RATE_LIMIT,
      createdAt: options.now,
      createdBy: options.createdBy,
    };
    await this.ctx.redis
      .multi()
      .hset(this.ctx.keys.tokens, id, JSON.stringify(record))
      .hset(this.ctx.keys.tokensByHash, hashToken(token), id, `id:${id}`, hashToken(token))
      .exec();
    return { token, record };
  }

  /**
   * The record of a presented token, or undefined for anything unknown, revoked or malformed; a
   * token verified at `now` is noted as used then (at most once a minute).
   */
  async verify(token: string, now: number): Promise<ApiToken | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    // One round trip on every API request: the hash's id, then its record (and its use, now and then).
    const { keys } = this.ctx;
    const json = await this.redis.vigilVerifyToken(
      keys.tokensByHash,
      keys.tokens,
      keys.tokensLastUsed,
      hashToken(token),
      now,
      LAST_USED_EVERY_MS,
    );
    return json === null ? undefined : (JSON.parse(json) as ApiToken);
  }

  /** When each token was last used (ms), or null for one never used since this was recorded. */
  async lastUsed(ids: readonly string[]): Promise<Map<string, number | null>> {
    if (ids.length === 0) return new Map();
    const values = await this.ctx.redis.hmget(this.ctx.keys.tokensLastUsed, ...ids);
    return new Map(ids.map((id, i) => [id, values[i] == null ? null : Number(values[i])]));
  }

  async get(id: string): Promise<ApiToken | undefined> {
    const json = await this.ctx.redis.hget(this.ctx.keys.tokens, id);
    return json === null ? undefined : (JSON.parse(json) as ApiToken);
  }

  async list(): Promise<ApiToken[]> {
    const all = await this.ctx.redis.hgetall(this.ctx.keys.tokens);
    return Object.values(all)
      .map((json) => JSON.parse(json) as ApiToken)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /**
   * Owners holding an admin token: the operators, for tenancy (their checks are the operators'
   * checks, like those of vigil.yaml: they use any component, page `default`, may publish).
   */
  async operatorOwners(): Promise<Set<string>> {
    return new Set((await this.list()).filter((token) => token.scope === 'admin').map((token) => token.owner));
  }

  /** Changes a token's name and limits; NOT_FOUND when there is none. */
  async update(id: string, patch: z.output<typeof tokenPatchSchema>): Promise<ApiToken> {
    const current = await this.get(id);
    if (!current) throw notFound(id);
    const next: ApiToken = {
      ...current,
      ...(patch.name !== undefined && { name: patch.name }),
      quota: applyQuota(current.quota, patch.quota),
      ...(patch.rateLimit && { rateLimit: { max: patch.rateLimit.max, perMs: patch.rateLimit.per } }),
    };
    await this.ctx.redis.hset(this.ctx.keys.tokens, id, JSON.stringify(next));
    return next;
  }

  /** Revokes a token at once: its hash mapping goes with its record. False when there was none. */
  async revoke(id: string): Promise<boolean> {
    const hash = await this.ctx.redis.hget(this.ctx.keys.tokensByHash, `id:${id}`);
    const multi = this.ctx.redis.multi().hdel(this.ctx.keys.tokens, id).hdel(this.ctx.keys.tokensLastUsed, id);
    if (hash !== null) multi.hdel(this.ctx.keys.tokensByHash, hash, `id:${id}`);
    const replies = (await multi.exec()) ?? [];
    return replies[0]?.[1] === 1;
  }
}

function notFound(id: string): VigilError {
  return new VigilError('NOT_FOUND', `no token ${id}`, [{ path: 'id', message: 'no such token' }]);
}
