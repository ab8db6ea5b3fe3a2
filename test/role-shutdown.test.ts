/**
 * SIGTERM on the scheduler and the web role, mid-work, as an orchestrator sends it on every deploy:
 * the process exits 0 within its deadline and nothing is lost or doubled. (The prober's turn is in
 * prober-crash.test.ts, the notifier's in paging-restart.test.ts.)
 */
import { type CheckInput, tokenInputSchema } from '@vigil/core';
import { eventually, freePort, TEST_REDIS_URL } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, roundsOf, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

describe('SIGTERM mid-work', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  const children: VigilProcess[] = [];

  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
    target = await startHttpTarget();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    await fleet.close();
    await target.close();
  });

  it('the scheduler exits 0 while probes go on: no round lost, none doubled', async () => {
    const yaml = `vantages: [alpha, beta]\nallowPrivateTargets: true\nchecks:\n  - { id: api, interval: 1s, timeout: 800ms, http: { url: "${target.url}" } }\n`;
    const config = await writeConfig(yaml);
    const scheduler = spawnVigil(['scheduler', '-c', config], {
      env: { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: fleet.prefix },
    });
    children.push(scheduler);
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.recorder();
    await fleet.historyUntil('api', (h) => h.length >= 4, 20_000, 'rounds scheduled by the scheduler process');

    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited, scheduler.output()).toBe(0);
    const stoppedAt = Date.now();

    // Schedules live in Redis: the probers keep the rounds coming with no scheduler running.
    const history = await fleet.historyUntil(
      'api',
      (h) => h.filter((result) => result.round > stoppedAt).length >= 6,
      20_000,
      'rounds after the scheduler stopped',
    );
    const rounds = [...roundsOf(history).entries()].sort(([a], [b]) => a - b);
    for (const [, vantages] of rounds) expect(vantages.sort()).toEqual(['alpha', 'beta']);
    const starts = rounds.map(([round]) => round);
    const gaps = starts.slice(1).map((round, i) => round - (starts[i] as number));
    expect(Math.max(...gaps), `rounds ${starts.join(', ')}`).toBeLessThanOrEqual(1_000);
  }, 60_000);

  it('the web role finishes the requests in flight, refuses new ones, and exits 0: every 201 is a stored check', async () => {
    const { token } = await fleet.tokens.create(
      tokenInputSchema.parse({
        owner: 'team',
        scope: 'write',
        quota: { checks: 10_000, minInterval: '1m' },
        rateLimit: { max: 100_000, per: '1m' },
      }),
      { now: Date.now(), createdBy: 'test' },
    );
    const port = await freePort();
    const config = await writeConfig('vantages: [alpha, beta]\n');
    const web = spawnVigil(['web', '-c', config], {
      env: { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: fleet.prefix, VIGIL_PORT: String(port) },
    });
    children.push(web);
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok, 20_000, 'web up');

    const create = async (i: number) => {
      const body: CheckInput | Record<string, unknown> = {
        id: `c-${i}`,
        interval: '1m',
        http: { url: `https://example.com/${i}` },
      };
      try {
        const response = await fetch(`${base}/api/v1/checks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { id: `c-${i}`, status: response.status, body: await response.text() };
      } catch {
        return { id: `c-${i}`, status: 0, body: 'connection refused or reset' };
      }
    };
    const inFlight = Array.from({ length: 300 }, (_, i) => create(i));
    // Mid-work: some creates stored, most still queued behind them.
    await eventually(async () => (await fleet.redis.hlen(fleet.keys.checks)) >= 10, 20_000, 'the first creates stored');
    web.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(await web.exited, web.output()).toBe(0);

    const created = answers.filter((answer) => answer.status === 201);
    const others = answers.filter((answer) => answer.status !== 201);
    expect(created.length, 'some requests were in flight and finished').toBeGreaterThan(0);
    // Refused, never half-done: a 503 from a closing server, or no connection at all.
    for (const answer of others)
      expect([0, 503], `${answer.id}: ${answer.status} ${answer.body}`).toContain(answer.status);
    const stored = await fleet.registry.getMany(answers.map((answer) => answer.id));
    answers.forEach((answer, i) => {
      if (answer.status === 201) expect(stored[i]?.id, answer.id).toBe(answer.id);
    });
  }, 60_000);
});
