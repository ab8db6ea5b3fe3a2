import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis } from '@vigil/core';
import { deletePrefix, eventually, freePort, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil, writeConfig } from './support/vigil-process.js';

interface StatusJson {
  checks: {
    id: string;
    state: string;
    results: Record<string, { ok: boolean; round: number; totalMs: number; error: string | null }>;
  }[];
}

describe('the vigil command', () => {
  const prefixes: string[] = [];
  const prefix = () => {
    const p = uniquePrefix('cli');
    prefixes.push(p);
    return p;
  };
  afterAll(async () => {
    const redis = createRedis(TEST_REDIS_URL);
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  it('`vigil up` with no config runs the example: every check green from every vantage, then stops cleanly on SIGTERM', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix(), VIGIL_PORT: String(await freePort()) };
    const cwd = await mkdtemp(join(tmpdir(), 'vigil-up-')); // no vigil.yaml here
    const up = spawnVigil(['up'], { env, cwd });
    try {
      up.exited.then((code) => {
        if (code !== 0 && code !== null) process.stderr.write(`vigil up exited early (${code}):\n${up.output()}\n`);
      });
      const status = await eventually(
        async () => {
          const { code, output } = await runVigil(['status', '--json'], { env });
          if (code !== 0) return undefined;
          const report = JSON.parse(output) as StatusJson;
          const green = report.checks.every(
            (c) => Object.values(c.results).length === 3 && Object.values(c.results).every((r) => r.ok),
          );
          const decided = report.checks.every((c) => c.state === 'up');
          return report.checks.length === 2 && green && decided ? report : undefined;
        },
        40_000,
        'all example checks green',
      );
      expect(status.checks.map((c) => c.id).sort()).toEqual(['redis', 'vigil-health']);
      expect(Object.keys(status.checks[0]?.results ?? {}).sort()).toEqual(['local-a', 'local-b', 'local-c']);
      const health = status.checks.find((c) => c.id === 'vigil-health')?.results['local-a'];
      expect(health).toMatchObject({ ok: true, error: null });
      expect(health?.totalMs).toBeGreaterThanOrEqual(0);

      const table = await runVigil(['status'], { env });
      expect(table.output).toMatch(/CHECK\s+STATE\s+VANTAGE\s+RESULT\s+LATENCY\s+AGE/);
      expect(table.output).toMatch(/vigil-health\s+up\s+local-a\s+ok/);
      expect(up.output()).toContain('example');
    } finally {
      up.child.kill('SIGTERM');
    }
    expect(await up.exited).toBe(0);
  }, 60_000);

  it('refuses a bad config with exit code 2 and a message naming the field and what was expected', async () => {
    const config = await writeConfig(
      'vantages: [a]\nchecks:\n  - { id: x, http: { url: "ftp://x" }, interval: often }\n',
    );
    const { code, output } = await runVigil(['up', '-c', config], {
      env: { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix(), VIGIL_PORT: String(await freePort()) },
    });
    expect(code).toBe(2);
    expect(output).toContain('checks[0].http.url: expected an http:// or https:// URL (got "ftp://x")');
    expect(output).toContain('checks[0].interval: expected a duration');
    expect(output).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('refuses bad flags and environment in one line, exit code 2', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix() };
    const noVantage = await runVigil(['prober'], { env });
    expect(noVantage.code).toBe(2);
    expect(noVantage.output).toContain('--vantage: expected the name of the vantage');
    const badSource = await runVigil(['prober', '--vantage', 'a', '--source-address', 'nope'], { env });
    expect(badSource.code).toBe(2);
    expect(badSource.output).toContain('--source-address: expected an IPv4 or IPv6 address');
    const badEnv = await runVigil(['status'], { env: { REDIS_URL: 'http://nope' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.output).toContain('REDIS_URL: expected a redis://, rediss:// or redis+cluster:// URL');
    const missing = await runVigil(['scheduler', '-c', '/nonexistent/vigil.yaml'], { env });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('cannot read config /nonexistent/vigil.yaml: no such file');
  });
});
