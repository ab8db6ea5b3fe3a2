import { LATENCY_BUCKET_MS, LatencyRollups } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleForm, consoleSignIn, seedOwned, testWebApp } from '../../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

const FORM = consoleForm({}).headers;

/** Results of the check from alpha (every phase) and beta (failing), one a minute over the last five minutes. */
async function recordResults(t: App, checkId: string): Promise<void> {
  const now = t.clock.now();
  for (let i = 5; i >= 1; i--) {
    const round = now - i * 60_000;
    const at = { checkId, round, startedAt: round + 5, finishedAt: round + 80 };
    await t.ctx.results.record(
      sampleResult({ ...at, vantage: 'alpha', timings: { dns: 3, connect: 8, tls: 20, firstByte: 40, total: 75 } }),
      60_000,
    );
    await t.ctx.results.record(
      sampleResult({
        ...at,
        vantage: 'beta',
        ok: false,
        error: 'connect_refused',
        message: 'connection refused',
        timings: { dns: 2, total: 4 },
      }),
      60_000,
    );
  }
  // What the notifiers merge of them: alpha's five in its hour, beta's five failures.
  const bucket = Math.floor((now - 60_000) / LATENCY_BUCKET_MS);
  const means = { total: 75, dns: 3, connect: 8, tls: 20, firstByte: 40 };
  await new LatencyRollups(t.ctx).merge([
    { checkId, vantage: 'alpha', bucket, samples: 5, failures: 0, means },
    { checkId, vantage: 'beta', bucket, samples: 5, failures: 5, means: { ...means, total: 0 } },
  ]);
}

describe('the console check page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("shows its owner the latest result per vantage, uptime, incidents, buttons and the chart's scripts as files", async () => {
    const seeded = await seedOwned(t.ctx, 'team-a');
    await recordResults(t, seeded.checkId);
    // One sick address of two, as the evaluator records them for an `allAddresses` check.
    const round = t.clock.now() - 60_000;
    await t.ctx.redis.hset(t.ctx.keys.addressStates(seeded.checkId), {
      '198.51.100.1': JSON.stringify({
        state: 'up',
        since: round - 600_000,
        failing: [],
        counted: 2,
        lastRound: round,
      }),
      '198.51.100.2': JSON.stringify({
        state: 'down',
        since: round - 120_000,
        failing: ['beta'],
        counted: 2,
        error: 'connect_refused',
        lastRound: round,
      }),
    });
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie } = await consoleSignIn(t.app, token);
    const page = await t.app.inject({ method: 'GET', url: `/console/checks/${seeded.checkId}`, headers: { cookie } });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script>|<style>| style="/);
    expect(page.body).toContain('connect_refused: connection refused');
    expect(page.body).toContain('<th scope="row">alpha</th>');
    expect(page.body).toMatch(/data-window="24h">[^<]*</);
    expect(page.body).toContain(`href="/console/incidents/${seeded.incidentId}"`);
    expect(page.body).toMatch(/<th scope="row">198\.51\.100\.2<\/th><td><span class="state state-down">down<\/span>/);
    expect(page.body).toContain('beta (connect_refused)');
    expect(page.body).toContain(`action="/console/checks/${seeded.checkId}/pause"`);
    expect(page.body).toMatch(
      new RegExp(`<form method="post" action="/console/checks/${seeded.checkId}/delete" data-confirm="[^"]+">`),
    );
    // A heartbeat has no vantages: its page says so rather than failing.
    const heartbeat = await t.app.inject({
      method: 'GET',
      url: `/console/checks/${seeded.heartbeatId}`,
      headers: { cookie },
    });
    expect(heartbeat.statusCode, heartbeat.body).toBe(200);
    expect(heartbeat.body).toContain('No result yet from any vantage.');
    const scripts = [...page.body.matchAll(/src="(\/console\/assets\/(?:uplot|check-page)\.[0-9a-f]{12}\.js)"/g)];
    expect(scripts).toHaveLength(2);
    for (const [, url] of scripts) {
      const asset = await t.app.inject({ method: 'GET', url: url ?? '' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
    }
  });

  it("answers another tenant's check, and a missing one, with the same 404", async () => {
    const other = await seedOwned(t.ctx, 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    for (const url of [`/console/checks/${other.checkId}`, `/console/checks/${other.checkId}/latency`]) {
      const response = await t.app.inject({ method: 'GET', url, headers: { cookie } });
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain(`no check ${other.checkId}`);
    }
    const missing = await t.app.inject({ method: 'GET', url: '/console/checks/nope', headers: { cookie } });
    expect(missing.statusCode).toBe(404);
    const payload = new URLSearchParams({ _csrf: csrf }).toString();
    const pause = await t.app.inject({
      method: 'POST',
      url: `/console/checks/${other.checkId}/pause`,
      payload,
      headers: { ...FORM, cookie },
    });
    expect(pause.statusCode).toBe(404);
    expect((await t.ctx.checks.get(other.checkId))?.paused).toBe(false);
  });

  it('shows a read-scoped session no buttons and refuses its actions with 403', async () => {
    const seeded = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const page = await t.app.inject({ method: 'GET', url: `/console/checks/${seeded.checkId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`/console/checks/${seeded.checkId}/pause`);
    expect(page.body).not.toContain(`/console/checks/${seeded.checkId}/delete`);
    const payload = new URLSearchParams({ _csrf: csrf }).toString();
    for (const action of ['pause', 'resume', 'delete']) {
      const url = `/console/checks/${seeded.checkId}/${action}`;
      const response = await t.app.inject({ method: 'POST', url, payload, headers: { ...FORM, cookie } });
      expect(response.statusCode, action).toBe(403);
    }
    expect(await t.ctx.checks.get(seeded.checkId)).toMatchObject({ paused: false });
  });

  it('refuses an action without the CSRF token, then pauses, resumes and deletes with it', async () => {
    const seeded = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = (action: string) => `/console/checks/${seeded.checkId}/${action}`;
    const post = (action: string, fields: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: url(action),
        payload: new URLSearchParams(fields).toString(),
        headers: { ...FORM, cookie },
      });
    const refused = await post('pause', {});
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('_csrf: missing or wrong CSRF token');
    expect((await t.ctx.checks.get(seeded.checkId))?.paused).toBe(false);

    const paused = await post('pause', { _csrf: csrf });
    expect(paused.statusCode).toBe(303);
    expect(paused.headers.location).toBe(`/console/checks/${seeded.checkId}`);
    expect((await t.ctx.checks.get(seeded.checkId))?.paused).toBe(true);
    const page = await t.app.inject({ method: 'GET', url: url('').slice(0, -1), headers: { cookie } });
    expect(page.body).toContain(`action="${url('resume')}"`);

    expect((await post('resume', { _csrf: csrf })).statusCode).toBe(303);
    expect((await t.ctx.checks.get(seeded.checkId))?.paused).toBe(false);
    const deleted = await post('delete', { _csrf: csrf });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe('/console');
    expect(await t.ctx.checks.get(seeded.checkId)).toBeUndefined();
  });

  it("serves the chart's JSON: per vantage, seconds and a column per phase, only the range asked", async () => {
    const seeded = await seedOwned(t.ctx, 'team-a');
    await recordResults(t, seeded.checkId);
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    let { cookie } = await consoleSignIn(t.app, token);
    const latency = (query: string) =>
      t.app.inject({ method: 'GET', url: `/console/checks/${seeded.checkId}/latency${query}`, headers: { cookie } });
    const response = await latency('?range=1h');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    const chart = response.json();
    expect(chart).toMatchObject({
      check: seeded.checkId,
      range: '1h',
      phases: ['dns', 'connect', 'tls', 'firstByte', 'total'],
    });
    expect(chart.to - chart.from).toBe(3_600_000);
    expect(chart.historyFrom).toBe(t.clock.now() - 5 * 60_000);
    expect(chart.vantages.map((v: { vantage: string }) => v.vantage)).toEqual(['alpha', 'beta']);
    const [alpha, beta] = chart.vantages;
    const values = (column: (number | null)[]) => column.filter((value) => value !== null);
    // Each result's total from history, a point a round, and one point of the hour's means: history
    // holds the last 5 minutes only, so the bucket is drawn in the 55 before them, its total too.
    expect(alpha.t).toHaveLength(6);
    expect(alpha.t).toContain((t.clock.now() - 5 * 60_000) / 1000);
    expect(alpha.t).toEqual([...alpha.t].sort((a: number, b: number) => a - b));
    expect(alpha.t[0]).toBe((chart.from + (chart.historyFrom - chart.from) / 2) / 1000);
    expect(values(alpha.phases.total).slice(1)).toEqual([75, 75, 75, 75, 75]);
    expect(Math.abs(alpha.phases.total[0] - 75)).toBeLessThan(2);
    expect(values(alpha.samples)).toEqual([5]);
    // The phases: the bucket's means (within a code's 2.6 %) and the latest result's own.
    expect(values(alpha.phases.tls)).toHaveLength(2);
    for (const tls of values(alpha.phases.tls)) expect(Math.abs(tls - 20)).toBeLessThan(0.6);
    expect(values(beta.phases.tls)).toEqual([]);
    expect(values(beta.failures)).toEqual([5]);
    for (const phase of chart.phases) expect(alpha.phases[phase]).toHaveLength(6);

    t.clock.advance(2 * 3_600_000);
    // Past the session's idle expiry too: a new session.
    ({ cookie } = await consoleSignIn(t.app, token));
    expect((await latency('?range=1h')).json().vantages).toEqual([]);
    const day = (await latency('?range=24h')).json();
    expect(day.bucketMs).toBe(LATENCY_BUCKET_MS);
    expect(day.vantages).toHaveLength(2);
    const [dayAlpha, dayBeta] = day.vantages;
    expect(dayAlpha.samples).toEqual([5]);
    expect(Math.abs(dayAlpha.phases.total[0] - 75)).toBeLessThan(2);
    expect(Math.abs(dayAlpha.phases.firstByte[0] - 40)).toBeLessThan(1.1);
    expect(dayBeta).toMatchObject({ samples: [5], failures: [5], phases: { total: [null], dns: [null] } });
    const week = (await latency('?range=7d')).json();
    expect(week.bucketMs).toBe(6 * 3_600_000);
    expect(week.vantages[0].samples).toEqual([5]);
    expect((await latency('')).json().range).toBe('1h');
    const bad = await latency('?range=1y');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('range');
  });
});
