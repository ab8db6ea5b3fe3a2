import { type ProbeJobData, probeQueueName, TargetGuard, toProbeTarget } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

describe('what a prober refuses to do', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let queue: Queue<ProbeJobData>;
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    target = await startHttpTarget();
    queue = new Queue<ProbeJobData>(probeQueueName('alpha'), { connection: fleet.redis, prefix: fleet.prefix });
  });
  afterEach(async () => {
    await queue.close();
    await fleet.close();
    await target.close();
  });

  const job = (id: string, round: number, interval = '5s') => ({
    name: 'probe',
    data: {
      check: toProbeTarget(
        checkFromYaml(`{ id: ${id}, interval: ${interval}, timeout: 2s, http: { url: "${target.url}" } }`),
      ),
      vantage: 'alpha',
      round,
    },
    opts: { removeOnComplete: true },
  });

  it('drops a round older than its interval, counts it, and never probes it late', async () => {
    await fleet.recorder();
    await fleet.prober('alpha', { settings: { concurrency: 5 } });
    const now = Date.now();
    await queue.addBulk([job('stale', now - 6_000), job('fresh', now)]);
    await fleet.historyUntil('fresh', (h) => h.length === 1);
    const expired = await eventually(
      async () => {
        const count = await fleet.redis.hget(fleet.keys.proberCounters, 'alpha:expired');
        return count === '1' ? count : undefined;
      },
      10_000,
      'the expired counter',
    );
    expect(expired).toBe('1');
    expect(await fleet.store.history('stale')).toEqual([]);
    expect(target.requests).toBe(1);
  });

  it('never runs more probes at once against one host than perHostConcurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    target.handler = (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end('ok');
      }, 100);
    };
    await fleet.recorder();
    await fleet.prober('alpha', { settings: { concurrency: 40, perHostConcurrency: 3 } });
    const now = Date.now();
    await queue.addBulk(Array.from({ length: 24 }, (_, i) => job(`c${i}`, now)));
    await eventually(async () => target.requests === 24 && inFlight === 0, 15_000, 'all 24 probes');
    expect(peak).toBe(3);
  });

  it('holds to the global rate limit of its vantage', async () => {
    const seen: number[] = [];
    target.handler = (_req, res) => {
      seen.push(Date.now());
      res.writeHead(200).end('ok');
    };
    await fleet.recorder();
    await fleet.prober('alpha', { settings: { concurrency: 20, rateLimit: { max: 4, per: 1_000 } } });
    const now = Date.now();
    await queue.addBulk(Array.from({ length: 12 }, (_, i) => job(`r${i}`, now, '30s')));
    await eventually(() => seen.length === 12, 20_000, 'all 12 probes');
    // Four per window: any five consecutive probes span (nearly) a whole window.
    const sorted = [...seen].sort((a, b) => a - b);
    for (let i = 0; i + 4 < sorted.length; i++)
      expect((sorted[i + 4] ?? 0) - (sorted[i] ?? 0)).toBeGreaterThanOrEqual(800);
  });

  it('turns a refused target into a blocked_target result, not a crash', async () => {
    await fleet.recorder();
    await fleet.prober('alpha', { guard: new TargetGuard({ allowPrivateTargets: false, allowTargets: [] }) });
    await queue.addBulk([job('private', Date.now())]);
    const [result] = await fleet.historyUntil('private', (h) => h.length === 1);
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result?.message).toMatch(/127\.0\.0\.1/);
    expect(target.requests).toBe(0);
  });
});
