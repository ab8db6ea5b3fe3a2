import { checkInputSchema, probeQueueName, resolveCheck } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, testWebApp } from '../../testing.js';
import { GRID_CACHE_MS } from './grid-cache.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

/** The `<tr>` of one check in a grid body. */
const row = (body: string, id: string) => new RegExp(`<tr id="check-${id}">[\\s\\S]*?</tr>`).exec(body)?.[0] ?? '';

describe('the console overview', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function put(id: string, tags: string[], owner = 'team-a'): Promise<void> {
    const input = checkInputSchema.parse({
      id,
      component: 'api',
      interval: '1m',
      tags,
      http: { url: `https://${id}.example.com/` },
    });
    await t.ctx.checks.createOwned({ ...resolveCheck(input, t.ctx.config.defaults), owner }, Number.MAX_SAFE_INTEGER);
  }

  it('keeps a poll with its own limit apart from the default view in the cache', async () => {
    for (const id of ['a-1', 'a-2', 'a-3']) await put(id, ['db']);
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    const one = await t.app.inject({ method: 'GET', url: '/console/grid?limit=1', headers: { cookie } });
    expect(one.body).toContain('1 of 3 checks');
    // Within GRID_CACHE_MS (the clock stands still): the default view is read, not the one-check page.
    const all = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie } });
    expect(all.body).toContain('3 of 3 checks');
    expect(all.body).toContain('id="check-a-3"');
  });

  it('filters by tag on the server, keeps the tag in the URL of the form, the pager and the poll', async () => {
    for (let i = 0; i < 60; i++) await put(`db-${String(i).padStart(2, '0')}`, ['db', 'eu']);
    await put('web-1', ['web', 'eu']);
    await put('db-other', ['db'], 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);

    const web = await t.app.inject({ method: 'GET', url: '/console?tag=web', headers: { cookie } });
    expect(web.statusCode).toBe(200);
    expect(web.body).toContain('id="check-web-1"');
    expect(web.body).not.toContain('id="check-db-00"');
    expect(web.body).toContain('1 of 1 checks');
    expect(web.body).toMatch(/<input id="f-tag" name="tag" value="web"/);
    expect(web.body).toContain('hx-get="/console/grid?tag=web"');

    // 60 db checks of team-a: a page of 50, the next page's link keeps the tag; team-b's is never counted.
    const db = await t.app.inject({ method: 'GET', url: '/console?tag=db', headers: { cookie } });
    expect(db.body).toContain('50 of 60 checks');
    expect(db.body).not.toContain('web-1');
    const next = /href="(\/console\?tag=db&amp;cursor=[^"]+)"/.exec(db.body)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    const second = await t.app.inject({ method: 'GET', url: next ?? '', headers: { cookie } });
    expect(second.body).toContain('10 of 60 checks');
    expect(second.body).toContain('id="check-db-59"');
    expect(second.body).toContain(`hx-get="/console/grid?tag=db&amp;cursor=db-49"`);

    // Tag and text together; the API lists the same checks for the same query (one rule).
    const both = await t.app.inject({ method: 'GET', url: '/console/grid?tag=eu&q=web', headers: { cookie } });
    expect(both.body).toContain('1 of 1 checks');
    const api = await t.app.inject({
      url: '/api/v1/checks?tag=eu&q=web',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(api.json().items.map((item: { id: string }) => item.id)).toEqual(['web-1']);

    const tooLong = await t.app.inject({ method: 'GET', url: `/console?tag=${'x'.repeat(65)}`, headers: { cookie } });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('tag');
  });

  it('shows a vantage whose latest result passed slowly as degraded, in words, with a legend', async () => {
    await put('api-1', []);
    const round = t.clock.now() - 30_000;
    const at = { checkId: 'api-1', round, startedAt: round + 5, finishedAt: round + 900 };
    await t.ctx.results.record(sampleResult({ ...at, vantage: 'alpha' }), 60_000);
    await t.ctx.results.record(sampleResult({ ...at, vantage: 'beta', slow: true }), 60_000);
    await t.ctx.results.record(
      sampleResult({ ...at, vantage: 'gamma', ok: false, error: 'timeout', message: 'timed out' }),
      60_000,
    );
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    const page = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie } });
    const cells = row(page.body, 'api-1');
    expect(cells).toContain('data-vantage="alpha" title="ok">up<');
    expect(cells).toContain(
      'class="state state-degraded" data-vantage="beta" title="ok but slower than its maxMs">degraded<',
    );
    expect(cells).toContain('data-vantage="gamma" title="timed out">down<');
    expect(page.body).toMatch(
      /<details class="legend">[\s\S]*degraded<\/span><\/dt><dd>the latest result passed, slower/,
    );
  });

  it('shows blind spots (a tenant only its own) and the queues that lag behind, with how many and how long', async () => {
    await put('a-1', []);
    await put('b-1', [], 'team-b');
    await put('b-2', [], 'team-b');
    const now = t.clock.now();
    for (const checkId of ['a-1', 'b-1', 'b-2']) {
      await t.ctx.incidents.openOrJoin(
        {
          group: 'fleet:blind',
          title: 'Blind spot: checks without results',
          impact: 'fleet',
          severity: 'major',
          startedAt: now,
          member: {
            checkId,
            name: checkId,
            down: true,
            firstFailedRound: now,
            lastFailedRound: now,
            vantagesFailing: [],
            vantagesTotal: 0,
          },
          openedMessage: 'No results.',
          joinedMessage: '',
        },
        now,
        t.ctx.config.notifier.reopenWindow,
      );
    }
    // Work nobody takes: three probe jobs for alpha (BullMQ stamps them with the real time), one batch
    // of results on the result stream (its id is the real time too).
    const queues = [probeQueueName('alpha')].map(
      (name) => new Queue(name, { connection: t.ctx.redis, prefix: t.ctx.keys.queuePrefix(name) }),
    );
    try {
      const [alpha] = queues as [Queue];
      await alpha.addBulk([1, 2, 3].map((i) => ({ name: 'probe', data: { i } })));
      await t.ctx.redis.xadd(t.ctx.keys.resultStream(0), '*', 'n', '0', 'results', '[]');
      t.clock.set(Date.now() + 32_000);
      const admin = await t.token({ owner: 'ops', scope: 'admin' });
      const ops = await consoleSignIn(t.app, admin.token);
      const seen = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie: ops.cookie } });
      expect(seen.body).toMatch(/<p id="blind-spots"><a href="\/console\/incidents\/[^"]+">3 blind spots<\/a><\/p>/);
      expect(seen.body).toContain('probes for alpha: <strong>3 waiting, the oldest for 30 s or more</strong>');
      expect(seen.body).toContain('probes for beta: keeping up');
      expect(seen.body).toContain('results for the notifier: <strong>1 waiting, the oldest for 30 s or more</strong>');

      const teamA = await t.token({ owner: 'team-a', scope: 'read' });
      const own = await consoleSignIn(t.app, teamA.token);
      const theirs = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie: own.cookie } });
      expect(theirs.body).toMatch(/<p id="blind-spots">(<a [^>]+>)?1 blind spot(<\/a>)?<\/p>/);
      expect(theirs.body).not.toContain('b-1');
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
  });

  it('answers an unchanged poll with 304 until a cell changes, and never shares a view across tenants', async () => {
    await put('a-1', []);
    await put('b-1', [], 'team-b');
    const a = await consoleSignIn(t.app, (await t.token({ owner: 'team-a', scope: 'read' })).token);
    const b = await consoleSignIn(t.app, (await t.token({ owner: 'team-b', scope: 'read' })).token);
    const poll = (cookie: string, etag?: string) =>
      t.app.inject({
        method: 'GET',
        url: '/console/grid',
        headers: { cookie, ...(etag && { 'if-none-match': etag }) },
      });
    const first = await poll(a.cookie);
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers.etag);
    expect((await poll(a.cookie, etag)).statusCode).toBe(304);
    // Right after A's read, B (same filters, another tenant) sees its own checks, never A's view.
    const other = await poll(b.cookie, etag);
    expect(other.statusCode).toBe(200);
    expect(other.body).toContain('id="check-b-1"');
    expect(other.body).not.toContain('a-1');

    t.clock.advance(GRID_CACHE_MS);
    expect((await poll(a.cookie, etag)).statusCode).toBe(304);
    const round = t.clock.now() - 10_000;
    await t.ctx.results.record(
      sampleResult({
        checkId: 'a-1',
        vantage: 'alpha',
        round,
        startedAt: round,
        finishedAt: round + 50,
        ok: false,
        error: 'timeout',
      }),
      60_000,
    );
    t.clock.advance(GRID_CACHE_MS);
    const changed = await poll(a.cookie, etag);
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(row(changed.body, 'a-1')).toContain('data-vantage="alpha" title="timeout">down<');
  });
});
