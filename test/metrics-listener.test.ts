import { createServer, type Server } from 'node:net';
import { createRedis, DEFAULT_METRICS_PORT } from '@vigil/core';
import { deletePrefix, eventually, freePort, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

const TOKEN = 'metrics-listener-token-0123456789';

/** What a GET answers, or undefined while nothing listens there. */
async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers }).catch(() => undefined);
  return response && { status: response.status, body: await response.text() };
}

describe('where each role serves /metrics', { timeout: 60_000 }, () => {
  const running: VigilProcess[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const proc of running.splice(0)) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    const redis = createRedis(TEST_REDIS_URL);
    for (const prefix of prefixes.splice(0)) await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  async function role(args: string[], yaml: string, extraEnv: Record<string, string> = {}) {
    const prefix = uniquePrefix('metrics-listener');
    prefixes.push(prefix);
    const port = await freePort();
    const config = await writeConfig(yaml);
    const proc = spawnVigil([...args, '-c', config], {
      env: {
        REDIS_URL: TEST_REDIS_URL,
        VIGIL_PREFIX: prefix,
        VIGIL_PORT: String(port),
        LOG_LEVEL: 'info',
        ...extraEnv,
      },
    });
    running.push(proc);
    await eventually(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`vigil ${args[0]} exited:\n${proc.output()}`);
        return (await get(`http://127.0.0.1:${port}/healthz`))?.status === 200 || undefined;
      },
      30_000,
      `vigil ${args[0]} healthy`,
    );
    return { proc, base: `http://127.0.0.1:${port}` };
  }

  it('web: never on the public port; on metrics.listen behind the token', async () => {
    const metricsPort = await freePort();
    const { proc, base } = await role(
      ['web'],
      `vantages: [alpha]\nmetrics: { listen: "127.0.0.1:${metricsPort}", token: "${TOKEN}" }\n`,
    );
    expect((await get(`${base}/metrics`))?.status).toBe(404);
    const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
    await eventually(async () => (await get(metrics))?.status === 401 || undefined, 10_000, 'metrics listener');
    const ok = await get(metrics, { authorization: `Bearer ${TOKEN}` });
    expect(ok?.status).toBe(200);
    expect(ok?.body).toContain('process_cpu_user_seconds_total');
    expect(proc.output()).toContain('metrics listening');
    expect(proc.output()).not.toContain(TOKEN);
  });

  it('scheduler: health stays on VIGIL_PORT, metrics move to metrics.listen', async () => {
    const metricsPort = await freePort();
    const { base } = await role(['scheduler'], `vantages: [alpha]\nmetrics: { listen: "127.0.0.1:${metricsPort}" }\n`);
    expect((await get(`${base}/metrics`))?.status).toBe(404);
    const moved = await eventually(
      async () => get(`http://127.0.0.1:${metricsPort}/metrics`),
      10_000,
      'metrics listener',
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toContain('vigil_queue_depth');
  });

  it('a prober: beside its health, behind VIGIL_METRICS_TOKEN when the file sets no token', async () => {
    const { base } = await role(['prober', '--vantage', 'alpha'], 'vantages: [alpha]\n', {
      VIGIL_METRICS_TOKEN: TOKEN,
    });
    expect((await get(`${base}/metrics`))?.status).toBe(401);
    expect((await get(`${base}/metrics`, { authorization: `Bearer ${TOKEN}` }))?.status).toBe(200);
    expect((await get(`${base}/readyz`))?.status).toBe(200);
  });

  it(`web: with ${DEFAULT_METRICS_PORT} taken, warns and runs without metrics`, async () => {
    const blocker: Server = createServer();
    const taken = await new Promise<boolean>((done) => {
      blocker.once('error', () => done(false));
      blocker.listen(DEFAULT_METRICS_PORT, '127.0.0.1', () => done(true));
    });
    try {
      // Taken by us, or already by something else: either way the port is not free for the web role.
      const { proc, base } = await role(['web'], 'vantages: [alpha]\n');
      expect((await get(`${base}/healthz`))?.status).toBe(200);
      await eventually(
        async () => /metrics not served: port 9464 is not free/.test(proc.output()) || undefined,
        10_000,
        'warning',
      );
      expect(proc.child.exitCode).toBeNull();
    } finally {
      if (taken) await new Promise((done) => blocker.close(done));
    }
  });
});
