import { type ProbeJobData, probeQueueName, type SlotJobData, toProbeTarget } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, roundsOf, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, writeConfig } from './support/vigil-process.js';

/** A `vigil prober --vantage alpha` child on the fleet's prefix, and a check it will probe. */
async function proberChildProbing(fleet: Fleet, target: HttpTarget, timing: { interval: string; timeout: string }) {
  const config = await writeConfig('vantages: [alpha]\nallowPrivateTargets: true\n');
  const env = { REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379', VIGIL_PREFIX: fleet.prefix };
  const child = spawnVigil(['prober', '--vantage', 'alpha', '-c', config], { env });
  await fleet.recorder();
  await fleet.scheduler();
  const yaml = `{ id: api, vantages: [alpha], interval: ${timing.interval}, timeout: ${timing.timeout}, http: { url: "${target.url}" } }`;
  await fleet.registry.put(checkFromYaml(yaml, ['alpha']));
  await eventually(() => target.requests > 0, 15_000, 'the first probe to reach the target');
  return child;
}

describe('a prober stopped mid-round', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    target = await startHttpTarget();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
  });

  it('kill -9 loses at most the round in flight: no duplicate result, and the next round arrives', async () => {
    // The target answers slowly, so the first prober is mid-probe when it dies.
    let slow = true;
    target.handler = (_req, res) => {
      if (slow) setTimeout(() => res.writeHead(200).end('ok'), 1_200);
      else res.writeHead(200).end('ok');
    };
    const doomed = await proberChildProbing(fleet, target, { interval: '2s', timeout: '1500ms' });
    expect(target.requests).toBe(1);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    slow = false;
    const killedAt = Date.now();

    await fleet.prober('alpha');
    const history = await fleet.historyUntil(
      'api',
      (h) => h.filter((r) => r.round > killedAt).length >= 2,
      20_000,
      'two rounds after the kill',
    );
    for (const vantages of roundsOf(history).values()) expect(vantages).toEqual(['alpha']);
    expect(history.filter((r) => r.round > killedAt).every((r) => r.ok)).toBe(true);
  });

  it('SIGTERM lets the probe in flight finish and report, then exits 0', async () => {
    target.handler = (_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 1_000);
    const prober = await proberChildProbing(fleet, target, { interval: '5s', timeout: '3s' });
    prober.child.kill('SIGTERM');
    expect(await prober.exited).toBe(0);
    const [result] = await fleet.historyUntil('api', (h) => h.length === 1, 5_000, 'the in-flight result');
    expect(result).toMatchObject({ ok: true, status: 200, vantage: 'alpha' });
    expect(result?.timings.total).toBeGreaterThanOrEqual(900);
  });

  it('a slot job claimed again skips the checks its killed prober had done, and probes the rest', async () => {
    const slot = 'slot.30000.1000.0@alpha';
    const ids = ['a1', 'a2', 'a3'];
    const multi = fleet.redis.multi();
    for (const id of ids) {
      const check = checkFromYaml(`{ id: ${id}, interval: 30s, timeout: 2s, http: { url: "${target.url}" } }`, [
        'alpha',
      ]);
      multi
        .hset(fleet.keys.slotMembers('alpha', slot), id, 'fp')
        .hset(fleet.keys.slotTargets('alpha', slot), id, JSON.stringify(toProbeTarget(check)));
    }
    await multi.exec();
    const queue = new Queue<SlotJobData | ProbeJobData>(probeQueueName('alpha'), {
      connection: fleet.redis,
      prefix: fleet.prefix,
    });
    try {
      // What a prober killed mid-slot leaves: the job, with the checks it had done in its progress.
      const job = await queue.add('slot', { slot, vantage: 'alpha', intervalMs: 30_000, round: Date.now() });
      await job.updateProgress({ done: ['a1'] });
      await fleet.recorder();
      await fleet.prober('alpha');
      await fleet.historyUntil('a2', (h) => h.length === 1);
      await fleet.historyUntil('a3', (h) => h.length === 1);
      expect(await fleet.store.history('a1')).toEqual([]);
      expect(target.requests).toBe(2);
    } finally {
      await queue.close();
    }
  });
});
