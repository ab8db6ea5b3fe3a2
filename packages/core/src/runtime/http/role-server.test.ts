import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedis } from '../../testing/index.js';
import { createLogger } from '../logger.js';
import { bearerMatches, RoleServer, type RoleServerOptions } from './role-server.js';

const log = createLogger({ level: 'silent' });
const servers: RoleServer[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function serve(redis: RoleServer['options']['redis']): Promise<string> {
  const server = new RoleServer({ port: 0, redis, log });
  servers.push(server);
  return server.listen();
}

describe('a role’s health and metrics server', () => {
  it('answers /healthz, /readyz with Redis up, and /metrics in Prometheus text', async () => {
    const { redis, cleanup } = await testRedis('role-server');
    cleanups.push(cleanup);
    const url = await serve(redis);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('is not ready while Redis does not answer, but stays healthy', async () => {
    const url = await serve({ ping: () => new Promise<'PONG'>(() => {}) });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('redis unreachable\n');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('serves metrics promtool accepts', async () => {
    const { redis, cleanup } = await testRedis('role-server');
    cleanups.push(cleanup);
    const url = await serve(redis);
    const text = await (await fetch(`${url}/metrics`)).text();
    const child = promisify(execFile)('promtool', ['check', 'metrics']);
    child.child.stdin?.end(text);
    await expect(child).resolves.toBeDefined();
  });

  it('names VIGIL_PORT when the port is taken', async () => {
    const first = new RoleServer({ port: 0, redis: { ping: async () => 'PONG' }, log });
    servers.push(first);
    const port = Number(new URL(await first.listen()).port);
    const second = new RoleServer({ port, redis: { ping: async () => 'PONG' }, log });
    await expect(second.listen()).rejects.toThrow(/VIGIL_PORT: 127\.0\.0\.1:\d+ is in use/);
  });

  it('says nosniff and no-store on every answer', async () => {
    const url = await serve({ ping: async () => 'PONG' });
    for (const path of ['/healthz', '/readyz', '/metrics', '/nope']) {
      const response = await fetch(`${url}${path}`);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

describe('the metrics server', () => {
  const TOKEN = 'scrape-token-0123456789';
  async function serveMetrics(options: Partial<RoleServerOptions> = {}): Promise<string> {
    const server = new RoleServer({
      port: 0,
      redis: { ping: async () => 'PONG' },
      log,
      serves: { health: false, metrics: true },
      metricsToken: TOKEN,
      ...options,
    });
    servers.push(server);
    return server.listen();
  }

  it('answers 401 without the right bearer token, 200 with it', async () => {
    const url = await serveMetrics();
    const wrong = [
      undefined,
      'Bearer',
      'Bearer ',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ];
    for (const authorization of wrong) {
      const response = await fetch(`${url}/metrics`, authorization === undefined ? {} : { headers: { authorization } });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await response.text();
      expect(body).not.toContain('process_cpu');
      expect(body).not.toContain(TOKEN);
    }
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.text()).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  it('serves only /metrics when it has a listener of its own', async () => {
    const url = await serveMetrics({ metricsToken: undefined });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(404);
    expect((await fetch(`${url}/readyz`)).status).toBe(404);
  });

  it('keeps health open when metrics beside it need a token', async () => {
    const url = await serve({ ping: async () => 'PONG' });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const guarded = await serveMetrics({ serves: { health: true, metrics: true } });
    expect((await fetch(`${guarded}/healthz`)).status).toBe(200);
    expect((await fetch(`${guarded}/metrics`)).status).toBe(401);
  });

  it('names metrics.listen when its port is taken', async () => {
    const port = Number(new URL(await serveMetrics()).port);
    const second = new RoleServer({ port, redis: { ping: async () => 'PONG' }, log, portSetting: 'metrics.listen' });
    await expect(second.listen()).rejects.toThrow(/metrics\.listen: 127\.0\.0\.1:\d+ is in use/);
  });

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});
