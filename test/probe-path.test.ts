import { setTimeout } from 'node:timers/promises';
import type { ProbeResult } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, roundsOf, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

describe('the probe path: registry → scheduler → probers → results → recorded', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
    target = await startHttpTarget();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
  });

  it('every vantage reports every round of a registered check, on the same round', async () => {
    await fleet.recorder();
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.scheduler();
    await fleet.registry.put(
      checkFromYaml(
        `{ id: api, interval: 1s, timeout: 900ms, http: { url: "${target.url}", expect: { bodyContains: ok } } }`,
      ),
    );

    const history = await fleet.historyUntil(
      'api',
      (h) => [...roundsOf(h).values()].filter((v) => v.length === 2).length >= 3,
      15_000,
      'three full rounds',
    );
    const full = [...roundsOf(history)].filter(([, vantages]) => vantages.length === 2).map(([round]) => round);
    expect(full.slice(1).map((round, i) => round - (full[i] ?? 0))).toEqual(full.slice(1).map(() => 1_000));
    const sample = history.find((r) => r.ok);
    expect(sample).toMatchObject({ ok: true, status: 200, checkId: 'api' });
    expect(sample?.timings.total).toBeGreaterThan(0);
    // History keeps what its readers show; the phase timings and the address are in the latest result.
    const latest = await fleet.store.latest('api');
    expect(Object.keys(latest).sort()).toEqual(['alpha', 'beta']);
    expect(latest.alpha).toMatchObject({ ok: true, status: 200, remoteAddress: '127.0.0.1' });
    expect(latest.alpha?.timings.connect).toBeGreaterThanOrEqual(0);
  });

  it('pausing or deleting a check stops its probes within one interval; an interval change takes effect', async () => {
    await fleet.recorder();
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.scheduler();
    const check = checkFromYaml(`{ id: api, interval: 1s, timeout: 900ms, http: { url: "${target.url}" } }`);
    await fleet.registry.put(check);
    await fleet.historyUntil('api', (h) => h.length >= 2);

    await fleet.registry.setPaused('api', true);
    // Fixed waits are the assertion: the probes stop within one interval (1 s) and none follow for 2.5 s.
    await setTimeout(1_500);
    const afterPause = target.requests;
    await setTimeout(2_500);
    expect(target.requests).toBe(afterPause);

    await fleet.registry.put({ ...check, paused: false, intervalMs: 2_000 });
    const resumedAt = Date.now();
    const history = await fleet.historyUntil(
      'api',
      (h) => [...roundsOf(h.filter((r) => r.round > resumedAt)).keys()].length >= 3,
      15_000,
      'three rounds at 2s',
    );
    const rounds = [...roundsOf(history.filter((r) => r.round > resumedAt)).keys()];
    expect(rounds.slice(1).map((round, i) => round - (rounds[i] ?? 0))).toEqual(rounds.slice(1).map(() => 2_000));

    await fleet.registry.delete('api');
    // Fixed waits are the assertion: the probes stop within one interval (2 s) and none follow for 4 s.
    await setTimeout(2_500);
    const afterDelete = target.requests;
    await setTimeout(4_000);
    expect(target.requests).toBe(afterDelete);
  });

  it('two schedulers do not double the probes', async () => {
    await fleet.recorder();
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.scheduler();
    await fleet.scheduler();
    await fleet.registry.put(
      checkFromYaml(`{ id: api, interval: 1s, timeout: 900ms, http: { url: "${target.url}" } }`),
    );
    await fleet.historyUntil('api', (h) => h.length >= 8, 15_000, 'eight results');
    // Read once the newest round has both vantages' results: none of its probes is still on its way.
    const newestComplete = (h: ProbeResult[]) => (roundsOf(h).get(h.at(-1)?.round ?? 0)?.length ?? 0) >= 2;
    const history = (await fleet.historyUntil('api', newestComplete, 5_000, 'the newest round complete')).filter(
      (r) => r.ok,
    );
    // No vantage probed a round twice, and one request reached the target per result recorded (a duplicate
    // result is dropped by the round book, so a doubled probe shows as a request with no result). A round
    // may hold one vantage only: on a loaded machine a probe claimed past its round's deadline is skipped,
    // never sent late — that is not a double.
    const rounds = roundsOf(history);
    for (const vantages of rounds.values()) {
      expect(new Set(vantages).size).toBe(vantages.length);
      expect(vantages.every((v) => v === 'alpha' || v === 'beta')).toBe(true);
    }
    expect([...rounds.values()].filter((v) => v.length === 2).length).toBeGreaterThanOrEqual(3);
    expect(target.requests).toBeLessThanOrEqual(history.length + 2);
  });

  it('results name the error when the target is down, and come back when it returns', async () => {
    await fleet.recorder();
    await fleet.prober('alpha');
    await fleet.scheduler();
    target.handler = (_req, res) => res.writeHead(503).end('maintenance');
    await fleet.registry.put(
      checkFromYaml(`{ id: api, vantages: [alpha], interval: 1s, timeout: 900ms, http: { url: "${target.url}" } }`),
    );
    const down = await fleet.historyUntil('api', (h) => h.length >= 1);
    expect(down[0]).toMatchObject({ ok: false, error: 'http_status', status: 503 });
    target.handler = (_req, res) => res.writeHead(200).end('ok');
    const back = await fleet.historyUntil('api', (h) => h.at(-1)?.ok === true, 10_000, 'an ok result');
    expect(back.at(-1)).toMatchObject({ ok: true, status: 200 });
  });
});
