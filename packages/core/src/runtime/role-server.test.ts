import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedis } from '../testing/index.js';
import { createLogger } from './logger.js';
import { RoleServer } from './role-server.js';

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
});
