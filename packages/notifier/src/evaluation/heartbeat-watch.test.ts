import { createLogger, parseConfig } from '@vigil/core';
import { T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentDesk } from '../incidents/incident-desk.js';
import { testNotifierContext } from '../testing.js';
import { CheckCatalog } from './check-catalog.js';
import { Evaluator } from './evaluator.js';
import { HeartbeatWatch } from './heartbeat-watch.js';
import { VantageHealth } from './vantage-health.js';

const config = parseConfig(`
vantages: [alpha, beta]
defaults: { confirmations: 3 }
components: [{ id: jobs, name: Batch jobs }]
checks:
  - { id: backup, name: Backup, component: jobs, interval: 5m, timeout: 1m, heartbeat: { grace: 2m } }
  - { id: nightly, name: Nightly, component: jobs, interval: 30s, heartbeat: { grace: 10m, schedule: "0 3 * * *", timezone: Europe/Paris } }
`);
const MIN = 60_000;
const log = createLogger({ level: 'silent' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A notifier's evaluation parts and the heartbeat watch on real Redis, with a hand-driven clock. */
async function world(start = T0) {
  const clock = { t: start, now: (): number => clock.t };
  const base = await testContext('heartbeat-watch', { clock, log });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks) await ctx.checks.put(check);
  const catalog = new CheckCatalog(ctx);
  await catalog.reload();
  const desk = new IncidentDesk(ctx, { catalog });
  const evaluator = new Evaluator(ctx, { catalog, desk, health: new VantageHealth(ctx) });
  const watch = new HeartbeatWatch(ctx, { catalog, evaluator });
  await watch.start();
  return {
    ctx,
    clock,
    watch,
    /** Moves the clock to `at` and lets the watch look. */
    async at(at: number) {
      clock.t = at;
      await watch.tick();
    },
    state: async (id: string) => (await ctx.checkStates.get(id)).state,
    openIncidents: () => ctx.incidents.listOpen(),
  };
}

describe('HeartbeatWatch', () => {
  it('a ping on time keeps the check up; none past the grace is down at once and opens an incident', async () => {
    const w = await world();
    const token = await w.ctx.heartbeats.rotate('backup', T0);
    await w.ctx.heartbeats.ping(token, { kind: 'success', now: T0 + 4 * MIN });
    await w.at(T0 + 4 * MIN + 1_000);
    expect(await w.state('backup')).toBe('up');
    // Due 5m after the ping, late after 2m more: still up a moment before, down (one missed run) after.
    await w.at(T0 + 11 * MIN - 1);
    expect(await w.state('backup')).toBe('up');
    await w.at(T0 + 11 * MIN + 1_000);
    expect(await w.state('backup')).toBe('down');
    const [incident] = await w.openIncidents();
    expect(incident?.members).toEqual([
      expect.objectContaining({ checkId: 'backup', error: 'missed', message: expect.stringContaining('no ping by') }),
    ]);
    const history = await w.ctx.results.history('backup');
    expect(history.map((result) => [result.vantage, result.ok, result.error])).toEqual([
      ['push', false, 'missed'],
      ['push', true, undefined],
    ]);
    // The next success recovers it (one good run, as one bad run was enough) and resolves the incident.
    await w.ctx.heartbeats.ping(token, { kind: 'success', now: T0 + 12 * MIN });
    await w.at(T0 + 12 * MIN + 1_000);
    expect(await w.state('backup')).toBe('up');
    expect(await w.openIncidents()).toEqual([]);
  });

  it('a missed deadline is recorded once, however many ticks see it', async () => {
    const w = await world();
    await w.ctx.heartbeats.rotate('backup', T0);
    for (const s of [0, 1, 2, 3]) await w.at(T0 + 7 * MIN + s * 1_000);
    expect(await w.ctx.results.history('backup')).toHaveLength(1);
  });

  it('is not judged before it has a token: no job could ping', async () => {
    const w = await world();
    await w.at(T0 + 60 * MIN);
    expect(await w.ctx.results.history('backup')).toEqual([]);
    expect(await w.openIncidents()).toEqual([]);
  });

  it('a failure ping or a non-zero exit code is down at once', async () => {
    const w = await world();
    const token = await w.ctx.heartbeats.rotate('backup', T0);
    await w.ctx.heartbeats.ping(token, { kind: 'success', now: T0 + MIN });
    await w.ctx.heartbeats.ping(token, { kind: 'fail', exitCode: 2, now: T0 + 2 * MIN });
    await w.at(T0 + 2 * MIN + 1_000);
    expect(await w.state('backup')).toBe('down');
    const [latest] = await w.ctx.results.history('backup');
    expect(latest).toMatchObject({ ok: false, error: 'job_failed', message: 'exit code 2' });
  });

  it('a start without success within the timeout is a failure', async () => {
    const w = await world();
    const token = await w.ctx.heartbeats.rotate('backup', T0);
    await w.ctx.heartbeats.ping(token, { kind: 'start', now: T0 + MIN });
    await w.at(T0 + 2 * MIN - 1_000);
    expect(await w.ctx.results.history('backup')).toEqual([]);
    await w.at(T0 + 2 * MIN + 1_000);
    expect(await w.state('backup')).toBe('down');
    const [latest] = await w.ctx.results.history('backup');
    expect(latest).toMatchObject({
      round: T0 + 2 * MIN,
      error: 'timeout',
      message: expect.stringContaining('within 1m'),
    });
  });

  it('reads a cron schedule in its time zone: due at 03:00 Paris plus the grace', async () => {
    // 2026-12-03: Paris is UTC+1, so 03:00 there is 02:00 UTC; late from 02:10 UTC.
    const w = await world(Date.parse('2026-12-02T02:05:00Z'));
    const token = await w.ctx.heartbeats.rotate('nightly', w.clock.t);
    await w.ctx.heartbeats.ping(token, { kind: 'success', now: Date.parse('2026-12-02T02:05:00Z') });
    await w.at(Date.parse('2026-12-03T02:09:59Z'));
    expect(await w.state('nightly')).toBe('up');
    await w.at(Date.parse('2026-12-03T02:10:01Z'));
    expect(await w.state('nightly')).toBe('down');
    const [latest] = await w.ctx.results.history('nightly');
    expect(latest).toMatchObject({ round: Date.parse('2026-12-03T02:10:00Z'), error: 'missed' });
  });
});
