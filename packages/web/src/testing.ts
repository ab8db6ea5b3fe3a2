import {
  type ApiToken,
  createLogger,
  redisKeys,
  type TokenInput,
  tokenInputSchema,
  type VigilConfig,
  validateConfig,
} from '@vigil/core';
import { testRedis } from '@vigil/core/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { WebContext } from './context.js';
import { createWebContext } from './web-server.js';

/** The fleet config route tests run against: three vantages, two components, one escalation. */
export const TEST_CONFIG = {
  vantages: ['alpha', 'beta', 'gamma'],
  components: [
    { id: 'api', name: 'Public API' },
    { id: 'lb', name: 'Load balancers' },
  ],
  people: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
  escalations: [{ id: 'default', levels: [{ notify: ['person:ana'], after: '0s' }] }],
  checks: [{ id: 'from-config', component: 'api', http: { url: 'https://api.example.com/health' } }],
};

/** A web app on real Redis under a fresh prefix, with a fake clock, and helpers to mint tokens. */
export async function testWebApp(config: unknown = TEST_CONFIG): Promise<{
  app: FastifyInstance;
  ctx: WebContext;
  config: VigilConfig;
  clock: { now(): number; set(ms: number): void; advance(ms: number): void };
  token(input: TokenInput): Promise<{ token: string; record: ApiToken; auth: { authorization: string } }>;
  cleanup(): Promise<void>;
}> {
  const { redis, prefix, cleanup } = await testRedis('web');
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
  const parsed = validateConfig(config, 'test config');
  const ctx = createWebContext({
    redis,
    keys: redisKeys(prefix),
    log: createLogger({ level: 'silent' }),
    clock,
    config: parsed,
    secret: 'test-secret-0123456789abcdef',
  });
  for (const check of parsed.checks) await ctx.checks.put(check);
  const app = buildApp(ctx);
  await app.ready();
  return {
    app,
    ctx,
    config: parsed,
    clock,
    async token(input) {
      const created = await ctx.tokens.create(tokenInputSchema.parse(input), { now, createdBy: 'test' });
      return { ...created, auth: { authorization: `Bearer ${created.token}` } };
    },
    async cleanup() {
      await app.close();
      await cleanup();
    },
  };
}
