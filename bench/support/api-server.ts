/**
 * The server side of `pnpm bench api`, in a process of its own: Vigil's web role on real Redis with
 * `checks` checks registered for one token (and heartbeat checks with a ping token each), and a bare
 * Fastify app answering the same shapes from memory. Sends `{ url, bareUrl, token, sampleCheck,
 * pingTokens }` to the parent, cleans up on SIGTERM.
 */
import {
  type Check,
  CheckRegistry,
  checkInputSchema,
  createLogger,
  HeartbeatStore,
  resolveCheck,
  systemClock,
  TokenStore,
  tokenInputSchema,
  utcDay,
  validateConfig,
} from '@vigil/core';
import { createWebContext, WebServer } from '@vigil/web';
import Fastify from 'fastify';
import { benchRedis } from './redis.js';

const count = Number(process.argv[2] ?? 1000);
/** Heartbeat checks, one ping token each: 30 pings a minute per token, so many tokens carry the load. */
const PING_TOKENS = Number(process.argv[3] ?? 3000);
const bench = await benchRedis();
const config = validateConfig(
  { vantages: ['alpha', 'beta', 'gamma'], components: [{ id: 'shop', name: 'Shop' }] },
  'bench',
);
const stores = { redis: bench.redis, keys: bench.keys };

const { token } = await new TokenStore(stores).create(
  tokenInputSchema.parse({
    owner: 'bench',
    scope: 'write',
    quota: { checks: 1_000_000, minInterval: '1m' },
    rateLimit: { max: 1_000_000, per: '1m' },
  }),
  { now: Date.now(), createdBy: 'bench' },
);
const registry = new CheckRegistry(stores);
const checks: Check[] = [];
for (let i = 0; i < count; i++) {
  const input = checkInputSchema.parse({
    id: `check-${String(i).padStart(5, '0')}`,
    interval: '1m',
    component: 'shop',
    http: { url: `https://example.com/${i}` },
  });
  checks.push({ ...resolveCheck(input, config.defaults), owner: 'bench' });
}
for (let i = 0; i < checks.length; i += 200)
  await Promise.all(checks.slice(i, i + 200).map((check) => registry.put(check)));
// A fleet that has been running: today's decided rounds and a state for every check of the public component.
const seed = bench.redis.pipeline();
for (const check of checks) {
  seed.hincrby(bench.keys.verdictDay(check.id, utcDay(Date.now())), 'ok', 1_000);
  seed.hset(bench.keys.checkState(check.id), 'state', 'up', 'since', Date.now() - 3_600_000);
}
await seed.exec();

// Heartbeat checks with a ping token each, enough that the load stays under every token's rate limit.
const heartbeats = new HeartbeatStore(stores);
const pingTokens: string[] = [];
for (let i = 0; i < PING_TOKENS; i++) {
  const input = checkInputSchema.parse({ id: `job-${String(i).padStart(5, '0')}`, interval: '1h', heartbeat: {} });
  await registry.put({ ...resolveCheck(input, config.defaults), owner: 'bench' });
  pingTokens.push(await heartbeats.rotate(input.id, Date.now()));
}

const web = new WebServer(
  createWebContext(
    { ...stores, log: createLogger({ level: 'warn', destination: process.stderr }), clock: systemClock },
    { config, secret: 'bench-secret-0123456789abcdef' },
  ),
);
const url = await web.listen(0);

// The peer: the same shapes, prepared in memory, no auth, no validation, no Redis.
const bare = Fastify();
const one = JSON.stringify(checks[0]);
const page = JSON.stringify({ items: checks.slice(0, 100), nextCursor: checks[99]?.id ?? null, total: checks.length });
bare.get('/check', async (_request, reply) => reply.type('application/json').send(one));
bare.get('/checks', async (_request, reply) => reply.type('application/json').send(page));
bare.post('/checks', async (_request, reply) => reply.code(201).type('application/json').send(one));
bare.post('/ping', async (_request, reply) => reply.type('application/json').send('{"ok":true}'));
// The status page as Vigil renders it, served from memory: what a CDN in front of it would do.
const renderedPage = await (await fetch(`${url}/`)).text();
bare.get('/page', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderedPage));
const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

process.send?.({ url, bareUrl, token, sampleCheck: checks[0]?.id ?? 'check-00000', pingTokens });
process.once('SIGTERM', async () => {
  await Promise.all([web.close(), bare.close()]);
  await bench.cleanup();
  process.exit(0);
});
