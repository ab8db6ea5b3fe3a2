import { z } from 'zod';
import { MIN_INTERVAL_MS, slugSchema } from '../checks/check.js';
import { durationSchema, formatDuration } from '../config/duration.js';

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What one token may register: the limits that keep a fleet from becoming a flood. */
export interface TokenQuota {
  /** Checks its owner may have registered through the API. */
  checks: number;
  /** The shortest interval a check may have. */
  minIntervalMs: number;
  /** The most vantages one check may probe from (a check without a list probes from all). */
  vantages: number;
}

/** API requests allowed per window, counted per token. */
export interface TokenRateLimit {
  max: number;
  perMs: number;
}

/** A token as stored: never the token itself, only its hash (kept apart, under `tokensByHash`). */
export interface ApiToken {
  id: string;
  name: string;
  owner: string;
  scope: TokenScope;
  quota: TokenQuota;
  rateLimit: TokenRateLimit;
  createdAt: number;
  createdBy: string;
}

/** Strict for everyone who is not an admin; an admin raises them per token. */
export const DEFAULT_QUOTA: Record<TokenScope, TokenQuota> = {
  read: { checks: 0, minIntervalMs: 60_000, vantages: 3 },
  write: { checks: 20, minIntervalMs: 60_000, vantages: 3 },
  admin: { checks: 10_000, minIntervalMs: MIN_INTERVAL_MS, vantages: 64 },
};
export const DEFAULT_RATE_LIMIT: TokenRateLimit = { max: 300, perMs: 60_000 };

export const quotaSchema = z.strictObject({
  checks: z.int().min(0).max(1_000_000).optional(),
  minInterval: durationSchema
    .refine((ms) => ms >= MIN_INTERVAL_MS, { error: `expected at least ${formatDuration(MIN_INTERVAL_MS)}` })
    .optional(),
  vantages: z.int().min(1).max(1000).optional(),
});

const rateLimitSchema = z.strictObject({
  max: z.int().min(1).max(1_000_000),
  per: durationSchema.refine((ms) => ms >= 1000 && ms <= 86_400_000, { error: 'expected from 1s to 1d' }),
});

/** The body of `POST /api/v1/tokens` and the flags of `vigil tokens create`. */
export const tokenInputSchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  owner: slugSchema,
  scope: z.enum(TOKEN_SCOPES, { error: `expected one of ${TOKEN_SCOPES.join(', ')}` }),
  quota: quotaSchema.optional(),
  rateLimit: rateLimitSchema.optional(),
});
export type TokenInput = z.input<typeof tokenInputSchema>;

/** `PATCH /api/v1/tokens/:id`: an admin raises (or lowers) a token's limits. */
export const tokenPatchSchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  quota: quotaSchema.optional(),
  rateLimit: rateLimitSchema.optional(),
});
