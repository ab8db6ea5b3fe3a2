import { createLogger, type Incident, parseConfig, readAddressReport, type VigilConfig } from '@vigil/core';
import { roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FINE_ADDRESS, SICK_ADDRESS, testEvaluation, testNotifierContext, twoAddressResult } from '../testing.js';

const CONFIG = parseConfig(`
vantages: [alpha, beta, gamma]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
components:
  - { id: lb, name: Load balancers }
checks:
  - id: watched
    name: Watched
    component: lb
    alertOn: address
    http: { url: "https://app.example.com/", allAddresses: true }
  - id: quiet
    name: Quiet
    component: lb
    http: { url: "https://quiet.example.com/", allAddresses: true }
`);
const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const SICK = SICK_ADDRESS;
const FINE = FINE_ADDRESS;
const INTERVAL = 30_000;
const R = (k: number) => T0 + k * INTERVAL;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world(options: { config?: VigilConfig } = {}) {
  const config = options.config ?? CONFIG;
  const clock = { t: T0, now: (): number => clock.t };
  const base = await testContext('addresses', { clock, log: createLogger({ level: 'silent' }) });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks) await ctx.checks.put(check);
  const { desk, evaluator } = await testEvaluation(ctx);
  return {
    ctx,
    desk,
    evaluator,
    clock,
    /** Round `k` from every vantage, all at once; `sick` is how many vantages (first ones) fail the sick address. */
    async feed(k: number, sick: number, checkIds: string | readonly string[] = 'watched') {
      clock.t = R(k) + 1_000;
      await evaluator.onResults(
        [checkIds].flat().flatMap((checkId) =>
          VANTAGES.map((vantage, i) => ({
            result: twoAddressResult(checkId, vantage, R(k), i < sick),
            intervalMs: INTERVAL,
          })),
        ),
      );
    },
    async incident(checkId = 'watched'): Promise<Incident | undefined> {
      const open = await ctx.incidents.listOpen();
      return open.find((incident) => incident.members.some((m) => m.checkId === checkId));
    },
  };
}

describe('per-address states', () => {
  it('an address failed by the quorum for `confirmations` rounds is down while the name stays degraded', async () => {
    const w = await world();
    await w.feed(0, 0);
    expect(await w.ctx.addressStates.get('watched')).toMatchObject([
      { address: FINE, state: 'up' },
      { address: SICK, state: 'up', since: R(0) },
    ]);
    await w.feed(1, 3);
    expect((await w.ctx.addressStates.get('watched'))[1]).toMatchObject({ state: 'degraded', since: R(1) });
    expect(await w.incident()).toBeUndefined();
    await w.feed(2, 3);
    const [fine, sick] = await w.ctx.addressStates.get('watched');
    expect(fine).toMatchObject({ address: FINE, state: 'up' });
    expect(sick).toMatchObject({
      address: SICK,
      state: 'down',
      since: R(1),
      failing: ['alpha', 'beta', 'gamma'],
      counted: 3,
      error: 'timeout',
    });
    expect((await w.ctx.checkStates.get('watched')).state).toBe('degraded');
  });

  it('alertOn: address opens an incident for the address, resolved once it is back', async () => {
    const w = await world();
    for (const k of [0, 1, 2]) await w.feed(k, k === 0 ? 0 : 2);
    const incident = await w.incident();
    expect(incident).toMatchObject({
      title: `Watched: address ${SICK} down`,
      impact: 'minor',
      status: 'investigating',
    });
    expect(incident?.members[0]?.addresses).toEqual([
      { address: SICK, since: R(1), vantagesFailing: ['alpha', 'beta'], vantagesTotal: 3, error: 'timeout' },
    ]);
    expect(incident?.updates[0]?.message).toMatch(`${SICK} is down: failing from 2 of 3 vantages (alpha, beta)`);
    await w.feed(3, 0);
    expect(await w.incident()).toBeDefined();
    await w.feed(4, 0);
    expect(await w.incident()).toBeUndefined();
    const resolved = await w.ctx.incidents.get(incident?.id ?? '');
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.updates.map((u) => u.message).join('\n')).toMatch(`Resolved: ${SICK} is back`);
    expect((await w.ctx.addressStates.get('watched'))[1]).toMatchObject({ state: 'up', since: R(3) });
    const { events } = await readAddressReport(w.ctx, 'watched');
    expect(events.map((e) => [e.address, e.kind, e.round, e.since])).toEqual([
      [SICK, 'back', R(4), R(3)],
      [SICK, 'down', R(2), R(1)],
    ]);
    expect(events[1]).toMatchObject({ failing: ['alpha', 'beta'], counted: 3, error: 'timeout' });
  });

  it('without alertOn: address, a down address opens nothing', async () => {
    const w = await world();
    for (const k of [0, 1, 2, 3]) await w.feed(k, 3, 'quiet');
    expect((await w.ctx.addressStates.get('quiet'))[1]).toMatchObject({ address: SICK, state: 'down' });
    expect(await w.incident('quiet')).toBeUndefined();
  });

  it('a round already applied changes nothing; an address drained from DNS is forgotten and its incident resolved', async () => {
    const w = await world();
    await w.feed(0, 0);
    await w.feed(1, 3);
    await w.feed(2, 3);
    await w.feed(2, 0);
    expect((await w.ctx.addressStates.get('watched'))[1]).toMatchObject({ address: SICK, state: 'down' });
    expect(await w.incident()).toBeDefined();
    w.clock.t = R(3) + 1_000;
    const drained = VANTAGES.map((vantage) => ({
      result: {
        ...roundResult('watched', vantage, R(3), true),
        addresses: [{ address: FINE, ok: true, timings: { total: 1 } }],
      },
      intervalMs: INTERVAL,
    }));
    await w.evaluator.onResults(drained);
    expect((await w.ctx.addressStates.get('watched')).map((a) => a.address)).toEqual([FINE]);
    expect(await w.incident()).toBeUndefined();
  });
});

describe('the address outbox', () => {
  it('a change decided by a notifier that died before acting on it opens its incident at the next drain, once', async () => {
    const w = await world();
    await w.feed(0, 0);
    await w.feed(1, 3);
    // What a notifier's verdict pipeline writes for round 2, before the notifier dies.
    const verdict = { address: SICK, verdict: 'fail' as const, counted: [...VANTAGES], failing: [...VANTAGES] };
    const pipeline = w.ctx.checkStates.pipeline();
    const queued = w.ctx.addressStates.queueApplyMany(
      pipeline,
      [{ checkId: 'watched', round: R(2), confirmations: 2, verdicts: [verdict], durable: true }],
      R(2) + 1_000,
    );
    const [change] = queued.read((await pipeline.exec()) ?? []);
    expect(change).toMatchObject({ checkId: 'watched', address: SICK, kind: 'down', since: R(1), at: R(2) + 1_000 });
    expect(await w.ctx.addressStates.pending()).toEqual([change]);
    expect(await w.incident()).toBeUndefined();

    w.clock.t = R(2) + 1_000;
    await w.desk.drain(0);
    expect((await w.incident())?.title).toBe(`Watched: address ${SICK} down`);
    expect(await w.ctx.addressStates.pending()).toEqual([]);
    await w.desk.drain(0);
    expect(await w.ctx.incidents.list()).toHaveLength(1);
  });

  it('holds a down address during a maintenance window, and opens its incident after it if still down', async () => {
    const config = parseConfig(`
vantages: [alpha, beta, gamma]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
checks:
  - { id: watched, name: Watched, alertOn: address, http: { url: "https://app.example.com/", allAddresses: true } }
maintenances:
  - { id: move, title: Moving, checks: [watched], start: "2026-11-20T12:00:00Z", end: "2026-11-20T12:02:00Z" }
`);
    const w = await world({ config });
    for (const k of [0, 1, 2]) await w.feed(k, k === 0 ? 0 : 3);
    expect(await w.incident()).toBeUndefined();
    expect(await w.ctx.addressStates.pending()).toHaveLength(1);
    w.clock.t = T0 + 3 * 60_000;
    await w.desk.drain(0);
    expect((await w.incident())?.title).toBe(`Watched: address ${SICK} down`);
    expect(await w.ctx.addressStates.pending()).toEqual([]);
  });

  it('keeps nothing in the outbox for checks that do not alert on addresses', async () => {
    const w = await world();
    for (const k of [0, 1, 2]) await w.feed(k, 3, ['watched', 'quiet']);
    expect((await w.ctx.addressStates.get('quiet'))[1]).toMatchObject({ state: 'down' });
    expect(await w.ctx.addressStates.pending()).toEqual([]);
  });
});
