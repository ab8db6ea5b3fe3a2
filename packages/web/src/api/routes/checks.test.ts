import { LATENCY_BUCKET_MS, LatencyRollups, verdictBucketKeys } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../../testing.js';

const DAY = 86_400_000;

type Issue = { path: string; message: string };
const paths = (body: { error: { issues: Issue[] } }) => body.error.issues.map((issue) => issue.path);

describe('checks API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Registers a check for `auth`'s owner; an interval of 1m fits a write token's quota. */
  async function create(auth: { authorization: string }, check: Record<string, unknown>) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: { interval: '1m', http: { url: `https://${String(check.id)}.example.com/` }, ...check },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  it("shows each address's state of an allAddresses check to its owner only, and in the status report", async () => {
    const a = await t.token({ owner: 'team-a', scope: 'read' });
    const b = await t.token({ owner: 'team-b', scope: 'read' });
    const writer = await t.token({ owner: 'team-a', scope: 'write' });
    await create(writer.auth, { id: 'lb', http: { url: 'https://lb.example.com/', allAddresses: true } });
    const down = { state: 'down', since: 1_000, failing: ['alpha', 'beta', 'gamma'], counted: 3, error: 'timeout' };
    await t.ctx.redis.hset(t.ctx.keys.addressStates('lb'), {
      '~round': 2_000,
      '5.104.101.30': JSON.stringify({ ...down, lastRound: 2_000, failStreak: 3 }),
      '109.232.236.90': JSON.stringify({ state: 'up', since: 0, failing: {}, counted: 3, lastRound: 2_000 }),
      '~events': JSON.stringify([
        { address: '5.104.101.30', kind: 'down', round: 2_000, since: 1_000, failing: ['alpha'], counted: 3 },
      ]),
    });
    const shown = await t.app.inject({ url: '/api/v1/checks/lb', headers: a.auth });
    expect(shown.json().addresses).toEqual([
      { address: '109.232.236.90', state: 'up', since: 0, failing: [], counted: 3, lastRound: 2_000 },
      { address: '5.104.101.30', ...down, lastRound: 2_000 },
    ]);
    expect(shown.json().addressEvents).toEqual([
      { address: '5.104.101.30', kind: 'down', round: 2_000, since: 1_000, failing: ['alpha'], counted: 3 },
    ]);
    const status = await t.app.inject({ url: '/api/v1/status', headers: a.auth });
    expect(status.json().checks[0].addresses.map((x: { state: string }) => x.state)).toEqual(['up', 'down']);
    const other = await t.app.inject({ url: '/api/v1/checks/lb', headers: b.auth });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('5.104.101.30');
    const otherStatus = await t.app.inject({ url: '/api/v1/status', headers: b.auth });
    expect(otherStatus.body).not.toContain('5.104.101.30');
  });

  it('creates, reads, lists, patches, pauses and deletes a check', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: {
        id: 'web',
        component: 'api',
        interval: '1m',
        vantages: ['alpha', 'beta'],
        http: { url: 'https://example.com/', headers: { Authorization: 'Bearer s3cret' } },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'web',
      owner: 'team-a',
      source: 'api',
      state: 'new',
      intervalMs: 60_000,
    });
    expect(created.body).not.toContain('s3cret');

    const list = await t.app.inject({ url: '/api/v1/checks', headers: auth });
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: 'web' }], nextCursor: null });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { interval: '2m', http: { expect: { status: ['200'] } } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      intervalMs: 120_000,
      http: { expect: { status: [{ min: 200, max: 200 }] } },
    });
    expect((await t.ctx.checks.get('web'))?.http?.headers).toEqual({ Authorization: 'Bearer s3cret' });

    const paused = await t.app.inject({ method: 'POST', url: '/api/v1/checks/web/pause', headers: auth });
    expect(paused.json()).toMatchObject({ paused: true, state: 'paused' });
    expect((await t.ctx.checks.get('web'))?.paused).toBe(true);
    const resumed = await t.app.inject({ method: 'POST', url: '/api/v1/checks/web/resume', headers: auth });
    expect(resumed.json()).toMatchObject({ paused: false, state: 'new' });
    expect((await t.ctx.checks.get('web'))?.paused).toBe(false);

    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/checks/web', headers: auth });
    expect(removed.statusCode).toBe(204);
    expect(await t.ctx.checks.get('web')).toBeUndefined();
    const gone = await t.app.inject({ url: '/api/v1/checks/web', headers: auth });
    expect(gone.statusCode).toBe(404);
  });

  it('names each offending field of a bad body and stores nothing', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: { id: 'Bad Id', http: { url: 'ftp://x' }, interval: 'soon' },
    });
    expect(response.statusCode).toBe(400);
    expect(paths(response.json())).toEqual(expect.arrayContaining(['id', 'http.url', 'interval']));
    expect(await t.ctx.checks.list()).toHaveLength(1);
  });

  it('refuses a vantage listed twice in a POST, PUT or PATCH body with a 400 naming the field', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const message = 'expected each vantage once; "alpha" is listed twice';
    const body = {
      id: 'web',
      interval: '1m',
      vantages: ['alpha', 'beta', 'alpha'],
      http: { url: 'https://x.example/' },
    };
    for (const method of ['POST', 'PUT'] as const) {
      const url = method === 'POST' ? '/api/v1/checks' : '/api/v1/checks/web';
      const response = await t.app.inject({ method, url, headers: auth, payload: body });
      expect(response.statusCode, `${method}: ${response.body}`).toBe(400);
      expect(response.json().error).toMatchObject({
        message: `vantages: ${message}`,
        issues: [{ path: 'vantages', message }],
      });
    }
    expect(await t.ctx.checks.get('web')).toBeUndefined();

    await create(auth, { id: 'web', vantages: ['alpha'] });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { vantages: ['alpha', 'alpha'] },
    });
    expect(patched.statusCode, patched.body).toBe(400);
    expect(patched.json().error.issues).toEqual([{ path: 'vantages', message }]);
    expect((await t.ctx.checks.get('web'))?.vantages).toEqual(['alpha']);
  });

  it('reads and patches a check stored with a vantage listed twice before that was refused, keeping each once', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web', vantages: ['alpha'] });
    const created = await t.ctx.checks.get('web');
    // Written raw, as a release that let the duplicate through stored it.
    const old = { ...created, vantages: ['alpha', 'beta', 'alpha'] };
    await t.ctx.redis.hset(t.ctx.keys.checks, 'web', JSON.stringify(old));
    expect((await t.app.inject({ url: '/api/v1/checks/web', headers: auth })).statusCode).toBe(200);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { interval: '2m' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(await t.ctx.checks.get('web')).toMatchObject({ intervalMs: 120_000, vantages: ['alpha', 'beta'] });
  });

  it('filters by component, tag, decided state and text', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'api-health', name: 'API health', component: 'api', tags: ['prod', 'edge'] });
    await create(auth, { id: 'api-login', name: 'Login page', component: 'api', tags: ['prod'] });
    await create(auth, { id: 'lb-1', name: 'LB one', component: 'lb', tags: ['edge'] });
    await create(auth, { id: 'stray', name: 'Stray HEALTH probe' });
    await t.ctx.redis.hset(t.ctx.keys.checkState('api-health'), 'state', 'down');
    await t.ctx.redis.hset(t.ctx.keys.checkState('lb-1'), 'state', 'up');
    await t.app.inject({ method: 'POST', url: '/api/v1/checks/stray/pause', headers: auth });

    const ids = async (query: string) => {
      const response = await t.app.inject({ url: `/api/v1/checks?${query}`, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.total).toBe(body.items.length);
      return body.items.map((check: { id: string }) => check.id);
    };
    expect(await ids('component=api')).toEqual(['api-health', 'api-login']);
    expect(await ids('tag=edge')).toEqual(['api-health', 'lb-1']);
    expect(await ids('state=down')).toEqual(['api-health']);
    expect(await ids('state=up')).toEqual(['lb-1']);
    expect(await ids('state=new')).toEqual(['api-login']);
    expect(await ids('state=paused')).toEqual(['stray']);
    expect(await ids('q=health')).toEqual(['api-health', 'stray']);
    expect(await ids('q=LOGIN')).toEqual(['api-login']);
    expect(await ids('component=api&tag=edge&state=down')).toEqual(['api-health']);
    expect(await ids('component=lb&state=down')).toEqual([]);

    const listed = await t.app.inject({ url: '/api/v1/checks?state=down', headers: auth });
    expect(listed.json().items[0]).toMatchObject({ id: 'api-health', state: 'down' });

    const bad = await t.app.inject({ url: '/api/v1/checks?state=sideways&limit=0', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json())).toEqual(expect.arrayContaining(['state', 'limit']));
  });

  it('pages through checks with a cursor, ending with a null cursor', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    for (let i = 1; i <= 7; i++) await create(auth, { id: `check-${i}` });

    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/checks?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await t.app.inject({ url, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json();
      expect(page.total).toBe(7);
      seen.push(...page.items.map((check: { id: string }) => check.id));
      cursor = page.nextCursor;
      cursors.push(cursor);
    } while (cursor !== null && cursors.length < 10);

    expect(cursors).toEqual(['check-3', 'check-6', null]);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `check-${i + 1}`));

    const exact = await t.app.inject({ url: '/api/v1/checks?limit=7', headers: auth });
    expect(exact.json()).toMatchObject({ nextCursor: null, total: 7 });
    expect(exact.json().items).toHaveLength(7);
    const past = await t.app.inject({ url: '/api/v1/checks?limit=3&cursor=check-7', headers: auth });
    expect(past.json()).toMatchObject({ items: [], nextCursor: null, total: 7 });
  });

  it('creates with PUT (201), replaces with PUT (200), and refuses an id that differs from the URL', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const body = { name: 'Web', interval: '1m', http: { url: 'https://example.com/' } };
    const created = await t.app.inject({ method: 'PUT', url: '/api/v1/checks/web', headers: auth, payload: body });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'web', name: 'Web', owner: 'team-a', source: 'api' });

    const replaced = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { ...body, name: 'Web, renamed', tags: ['prod'] },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({ name: 'Web, renamed', tags: ['prod'], owner: 'team-a' });
    expect(replaced.json().revision).not.toBe(created.json().revision);
    expect(await t.ctx.checks.get('web')).toMatchObject({ name: 'Web, renamed', owner: 'team-a' });
    expect(await t.ctx.checks.countOwned('team-a')).toBe(1);

    const mismatch = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { ...body, id: 'other', name: 'Hijack' },
    });
    expect(mismatch.statusCode).toBe(400);
    expect(paths(mismatch.json())).toEqual(['id']);
    expect(await t.ctx.checks.get('other')).toBeUndefined();
    expect((await t.ctx.checks.get('web'))?.name).toBe('Web, renamed');
  });

  it("answers a PUT over another owner's check with the very 404 of a missing one (no oracle)", async () => {
    const a = await t.token({ owner: 'team-a', scope: 'write' });
    const b = await t.token({ owner: 'team-b', scope: 'write' });
    await create(a.auth, { id: 'web', name: 'Team A web' });
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/checks/web',
      headers: b.auth,
      payload: { name: 'Team B now', interval: '1m', http: { url: 'https://evil.example.com/' } },
    });
    expect(response.statusCode).toBe(404);
    const missing = await t.app.inject({ url: '/api/v1/checks/wex', headers: b.auth });
    expect(response.body.replace('web', 'ID')).toBe(missing.body.replace('wex', 'ID'));
    expect(response.headers['content-type']).toBe(missing.headers['content-type']);
    expect(await t.ctx.checks.get('web')).toMatchObject({ name: 'Team A web', owner: 'team-a' });
  });

  it('merges a PATCH, null removing a field', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web', component: 'api', tags: ['prod'], escalation: 'default' });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { component: null, escalation: null, name: 'Renamed', http: { method: 'HEAD' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const view = patched.json();
    expect(view).not.toHaveProperty('component');
    expect(view).not.toHaveProperty('escalation');
    expect(view).toMatchObject({
      name: 'Renamed',
      tags: ['prod'],
      http: { url: 'https://web.example.com/', method: 'HEAD' },
    });
    const stored = await t.ctx.checks.get('web');
    expect(stored?.component).toBeUndefined();
    expect(stored?.escalation).toBeUndefined();
    expect(stored).toMatchObject({ name: 'Renamed', owner: 'team-a', intervalMs: 60_000 });

    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { interval: 'soon' },
    });
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json())).toEqual(['interval']);
    expect((await t.ctx.checks.get('web'))?.intervalMs).toBe(60_000);

    const renamed = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { id: 'x' },
    });
    expect(renamed.statusCode).toBe(400);
    expect(paths(renamed.json())).toEqual(['id']);
  });

  it('refuses references the fleet does not declare, naming each field, and stores nothing', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: {
        id: 'web',
        interval: '1m',
        component: 'nope',
        vantages: ['alpha', 'mars'],
        escalation: 'nobody',
        http: { url: 'https://example.com/' },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(paths(response.json()).sort()).toEqual(['component', 'escalation', 'vantages[1]']);
    expect(response.json().error.message).toContain('alpha, beta, gamma');
    expect(await t.ctx.checks.get('web')).toBeUndefined();

    await create(auth, { id: 'web' });
    for (const [field, value, path] of [
      ['component', 'nope', 'component'],
      ['vantages', ['mars'], 'vantages[0]'],
      ['escalation', 'nobody', 'escalation'],
    ] as const) {
      const patched = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/checks/web',
        headers: auth,
        payload: { [field]: value },
      });
      expect(patched.statusCode, field).toBe(400);
      expect(paths(patched.json())).toEqual([path]);
    }
    const stored = await t.ctx.checks.get('web');
    expect(stored?.component).toBeUndefined();
    expect(stored?.vantages).toEqual([]);
  });

  it('refuses a DNS check without a resolver from any token, naming dns.server; vigil.yaml may leave it out', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const admin = await t.token({ owner: 'ops', scope: 'admin' });
    const expectNoServer = (response: { statusCode: number; json(): { error: { issues: Issue[] } } }) => {
      expect(response.statusCode).toBe(400);
      expect(response.json().error.issues).toEqual([
        { path: 'dns.server', message: expect.stringContaining('a public resolver, host[:port]') },
      ]);
    };
    for (const headers of [auth, admin.auth]) {
      expectNoServer(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/checks',
          headers,
          payload: { id: 'resolver', interval: '1m', dns: { name: 'intranet.corp' } },
        }),
      );
      expectNoServer(
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/checks/resolver',
          headers,
          payload: { interval: '1m', dns: { name: 'intranet.corp', type: 'TXT' } },
        }),
      );
    }
    expect(await t.ctx.checks.get('resolver')).toBeUndefined();

    await create(auth, { id: 'resolver', http: undefined, dns: { name: 'example.com', server: '9.9.9.9' } });
    expectNoServer(
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/checks/resolver',
        headers: auth,
        payload: { dns: { server: null } },
      }),
    );
    const stored = await t.ctx.checks.get('resolver');
    expect(stored?.kind === 'dns' && stored.dns.server).toBe('9.9.9.9');

    const operators = await testWebApp({
      ...TEST_CONFIG,
      checks: [...TEST_CONFIG.checks, { id: 'own-resolver', dns: { name: 'intranet.corp' } }],
    });
    try {
      const { auth: operator } = await operators.token({ owner: 'ops', scope: 'admin' });
      const shown = await operators.app.inject({ url: '/api/v1/checks/own-resolver', headers: operator });
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toMatchObject({ source: 'config', dns: { name: 'intranet.corp' } });
      expect(shown.json().dns).not.toHaveProperty('server');
    } finally {
      await operators.cleanup();
    }
  });

  it('lists results newest first, from every vantage or one', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web' });
    const round0 = t.clock.now() - 10 * 60_000;
    for (let i = 0; i < 6; i++) {
      const vantage = ['alpha', 'beta', 'gamma'][i % 3] ?? 'alpha';
      const round = round0 + Math.floor(i / 3) * 60_000;
      await t.ctx.results.record(
        sampleResult({ checkId: 'web', vantage, round, ok: i !== 4, ...(i === 4 && { error: 'timeout' }) }),
        60_000,
      );
    }
    const all = await t.app.inject({ url: '/api/v1/checks/web/results', headers: auth });
    expect(all.statusCode, all.body).toBe(200);
    const items: { vantage: string; round: number; ok: boolean }[] = all.json().items;
    expect(items).toHaveLength(6);
    expect(items.map((r) => r.round)).toEqual([...items.map((r) => r.round)].sort((a, b) => b - a));
    expect(items[0]?.round).toBe(round0 + 60_000);

    const beta = await t.app.inject({ url: '/api/v1/checks/web/results?vantage=beta', headers: auth });
    expect(beta.json().items).toEqual([
      expect.objectContaining({ vantage: 'beta', round: round0 + 60_000, ok: false, error: 'timeout' }),
      expect.objectContaining({ vantage: 'beta', round: round0, ok: true }),
    ]);
    const limited = await t.app.inject({ url: '/api/v1/checks/web/results?limit=2', headers: auth });
    expect(limited.json().items).toHaveLength(2);

    const other = await t.token({ owner: 'team-b', scope: 'read' });
    const hidden = await t.app.inject({ url: '/api/v1/checks/web/results', headers: other.auth });
    expect(hidden.statusCode).toBe(404);
  });

  it('gives each vantage’s newest result with all it carries (a DNS answer) when asked for the latest', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web' });
    const round = t.clock.now() - 60_000;
    const dns = (answers: string[]) => ({ rcode: 'NOERROR', answers, minTtl: 60, transport: 'udp' as const });
    await t.ctx.results.record(sampleResult({ checkId: 'web', vantage: 'alpha', round: round - 60_000 }), 60_000);
    await t.ctx.results.record(
      sampleResult({ checkId: 'web', vantage: 'alpha', round, dns: dns(['192.0.2.1']) }),
      60_000,
    );
    await t.ctx.results.record(
      sampleResult({ checkId: 'web', vantage: 'beta', round, dns: dns(['198.51.100.7']) }),
      60_000,
    );
    const latest = await t.app.inject({ url: '/api/v1/checks/web/results?latest=true', headers: auth });
    expect(latest.statusCode, latest.body).toBe(200);
    expect(latest.json().items).toEqual([
      expect.objectContaining({ vantage: 'alpha', round, dns: dns(['192.0.2.1']) }),
      expect.objectContaining({ vantage: 'beta', round, dns: dns(['198.51.100.7']) }),
    ]);
    const beta = await t.app.inject({ url: '/api/v1/checks/web/results?latest=true&vantage=beta', headers: auth });
    expect(beta.json().items.map((r: { vantage: string }) => r.vantage)).toEqual(['beta']);
    // History keeps the packed fields only: no answer there.
    const history = await t.app.inject({ url: '/api/v1/checks/web/results?vantage=alpha', headers: auth });
    expect(history.json().items[0]).not.toHaveProperty('dns');
  });

  it('reports uptime over 24h, 7d, 30d and 90d from decided rounds', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web' });
    const now = t.clock.now();
    const decided = async (at: number, verdict: 'ok' | 'degraded' | 'fail', n: number) => {
      const bucket = verdictBucketKeys(t.ctx.keys, 'web', at);
      await t.ctx.redis.hincrby(bucket.day, verdict, n);
      await t.ctx.redis.hincrby(bucket.hour, verdict, n);
    };
    await decided(now, 'ok', 90);
    await decided(now, 'fail', 10);
    await decided(now - 3 * DAY, 'fail', 100);
    await decided(now - 20 * DAY, 'degraded', 200);
    await decided(now - 60 * DAY, 'ok', 400);

    const response = await t.app.inject({ url: '/api/v1/checks/web/uptime', headers: auth });
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report['24h']).toMatchObject({ rounds: 100, ok: 90, fail: 10, uptime: 0.9 });
    expect(report['7d']).toMatchObject({ rounds: 200, fail: 110, uptime: 0.45 });
    expect(report['30d']).toMatchObject({ rounds: 400, degraded: 200, uptime: 290 / 400 });
    expect(report['90d']).toMatchObject({ rounds: 800, uptime: 690 / 800 });

    await create(auth, { id: 'quiet' });
    const quiet = await t.app.inject({ url: '/api/v1/checks/quiet/uptime', headers: auth });
    expect(quiet.json()['30d']).toMatchObject({ rounds: 0, uptime: null });
  });

  it("serves a check's latency rollups over 7 d to its owner, and another tenant the 404 of a missing check", async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const hostile = await t.token({ owner: 'team-b', scope: 'write' });
    await create(auth, { id: 'web' });
    const bucket = Math.floor(t.clock.now() / LATENCY_BUCKET_MS);
    const means = { total: 300, dns: 5, connect: 20, tls: 60, firstByte: 200 };
    await new LatencyRollups(t.ctx).merge([
      { checkId: 'web', vantage: 'alpha', bucket: bucket - DAY / LATENCY_BUCKET_MS, samples: 60, failures: 6, means },
      { checkId: 'web', vantage: 'alpha', bucket, samples: 10, failures: 0, means },
    ]);
    const response = await t.app.inject({ url: '/api/v1/checks/web/latency?range=7d', headers: auth });
    expect(response.statusCode, response.body).toBe(200);
    const [alpha] = response.json().vantages;
    expect(alpha).toMatchObject({ vantage: 'alpha', samples: [60, 10], failures: [6, 0] });
    for (const firstByte of alpha.phases.firstByte) expect(Math.abs(firstByte - 200) / 200).toBeLessThan(0.03);
    // 24 h: the day-old bucket is out of range.
    const day = await t.app.inject({ url: '/api/v1/checks/web/latency?range=24h', headers: auth });
    expect(day.json().vantages[0].samples).toEqual([10]);

    const hidden = await t.app.inject({ url: '/api/v1/checks/web/latency?range=7d', headers: hostile.auth });
    const missing = await t.app.inject({ url: '/api/v1/checks/wex/latency?range=7d', headers: hostile.auth });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body.replace('web', 'ID')).toBe(missing.body.replace('wex', 'ID'));
    const bad = await t.app.inject({ url: '/api/v1/checks/web/latency?range=30d', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json())).toEqual(['range']);
  });

  it('draws the part of the 1 h chart that history no longer holds from each vantage’s hour means', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web' });
    // 12:20: the hour shown starts at 11:20; 78 rounds at 30 s from 3 vantages, history keeps the
    // newest 226 results (the default): from ~11:42 on.
    t.clock.set(Math.floor(t.clock.now() / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS + 20 * 60_000);
    const now = t.clock.now();
    const vantages = ['alpha', 'beta', 'gamma'];
    for (let k = 78; k >= 1; k--)
      for (const [v, vantage] of vantages.entries()) {
        const round = now - k * 30_000;
        await t.ctx.results.record(
          sampleResult({
            checkId: 'web',
            vantage,
            round,
            startedAt: round,
            finishedAt: round + 50,
            timings: { total: 50 + v },
          }),
          30_000,
        );
      }
    const hour = Math.floor(now / LATENCY_BUCKET_MS);
    const means = (total: number) => ({ total, dns: 2, connect: 5, tls: 10, firstByte: 30 });
    await new LatencyRollups(t.ctx).merge([
      { checkId: 'web', vantage: 'alpha', bucket: hour - 1, samples: 120, failures: 0, means: means(100) },
      { checkId: 'web', vantage: 'beta', bucket: hour - 1, samples: 120, failures: 12, means: means(200) },
      { checkId: 'web', vantage: 'alpha', bucket: hour, samples: 40, failures: 0, means: means(150) },
    ]);
    const response = await t.app.inject({ url: '/api/v1/checks/web/latency?range=1h', headers: auth });
    expect(response.statusCode, response.body).toBe(200);
    const chart = response.json();
    expect(chart.historyFrom).toBe(now - 76 * 30_000);
    const drawn = (vantage: string) => {
      const series = chart.vantages.find((s: { vantage: string }) => s.vantage === vantage);
      return (series.t as number[]).map((t, i) => ({
        t: t * 1000,
        total: series.phases.total[i],
        samples: series.samples[i],
      }));
    };
    // Before history: one point a vantage with a bucket there, at the middle of 11:20–11:42, its hour's mean.
    const middle = (chart.from + chart.historyFrom) / 2;
    for (const [vantage, mean] of [
      ['alpha', 100],
      ['beta', 200],
    ] as const) {
      const earlier = drawn(vantage).filter((point) => point.t < chart.historyFrom);
      expect(
        earlier.map((point) => [point.t, point.samples]),
        vantage,
      ).toEqual([[middle, 120]]);
      expect(Math.abs((earlier[0]?.total ?? 0) - mean) / mean).toBeLessThan(0.03);
    }
    expect(drawn('gamma').filter((point) => point.t < chart.historyFrom)).toEqual([]);
    // From history on: each result's total, and the current hour's phases with no total of its own.
    for (const [v, vantage] of vantages.entries()) {
      const later = drawn(vantage).filter((point) => point.t >= chart.historyFrom && point.total !== null);
      expect(later.length, vantage).toBeGreaterThanOrEqual(75);
      expect(new Set(later.map((point) => point.total))).toEqual(new Set([50 + v]));
    }
    expect(drawn('alpha').at(-1)).toMatchObject({ t: now, total: null, samples: 40 });
  });

  it('shows checks from vigil.yaml to admins only', async () => {
    const admin = await t.token({ owner: 'ops', scope: 'admin' });
    const writer = await t.token({ owner: 'team-a', scope: 'write' });

    const shown = await t.app.inject({ url: '/api/v1/checks/from-config', headers: admin.auth });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id: 'from-config', source: 'config', owner: null });
    const adminList = await t.app.inject({ url: '/api/v1/checks', headers: admin.auth });
    expect(adminList.json().items.map((check: { id: string }) => check.id)).toContain('from-config');

    const hidden = await t.app.inject({ url: '/api/v1/checks/from-config', headers: writer.auth });
    expect(hidden.statusCode).toBe(404);
    const writerList = await t.app.inject({ url: '/api/v1/checks', headers: writer.auth });
    expect(writerList.json()).toMatchObject({ total: 0, items: [] });
    for (const [method, url] of [
      ['DELETE', '/api/v1/checks/from-config'],
      ['POST', '/api/v1/checks/from-config/pause'],
      ['GET', '/api/v1/checks/from-config/results'],
      ['GET', '/api/v1/checks/from-config/uptime'],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: writer.auth });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await t.ctx.checks.get('from-config'))?.paused).toBe(false);
  });

  it('keeps checks from vigil.yaml read-only through the API, even for admins: 409 naming the file', async () => {
    const admin = await t.token({ owner: 'ops', scope: 'admin' });
    const before = await t.ctx.checks.get('from-config');
    for (const [method, url, payload] of [
      ['PATCH', '/api/v1/checks/from-config', { interval: '5m' }],
      ['PUT', '/api/v1/checks/from-config', { interval: '5m', http: { url: 'https://api.example.com/health' } }],
      ['DELETE', '/api/v1/checks/from-config', undefined],
      ['POST', '/api/v1/checks/from-config/pause', undefined],
      ['POST', '/api/v1/checks/from-config/resume', undefined],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: admin.auth, ...(payload && { payload }) });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(409);
      expect(response.json().error).toMatchObject({ code: 'CONFLICT', issues: [{ path: 'id' }] });
      expect(response.json().error.message).toContain('vigil.yaml');
    }
    expect(await t.ctx.checks.get('from-config')).toEqual(before);
  });

  it('takes a PATCH as application/merge-patch+json (RFC 7396) as well as application/json', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    await create(auth, { id: 'web', tags: ['prod'] });
    const patch = (contentType: string, body: unknown, method: 'PATCH' | 'POST' = 'PATCH') =>
      t.app.inject({
        method,
        url: method === 'PATCH' ? '/api/v1/checks/web' : '/api/v1/checks',
        headers: { ...auth, 'content-type': contentType },
        payload: JSON.stringify(body),
      });
    const merged = await patch('application/merge-patch+json', { interval: '2m', tags: null });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json()).toMatchObject({ intervalMs: 120_000, tags: [] });
    const charset = await patch('application/merge-patch+json; charset=utf-8', { name: 'Web' });
    expect(charset.statusCode, charset.body).toBe(200);
    const bad = await patch('application/merge-patch+json', '{');
    expect(bad.statusCode).toBe(400);
    const broken = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: { ...auth, 'content-type': 'application/merge-patch+json' },
      payload: '{"interval":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.issues).toEqual([expect.objectContaining({ path: 'body' })]);
    // The merge patch media type is for PATCH; elsewhere it is still a 415.
    const post = await patch('application/merge-patch+json', { id: 'x', http: { url: 'https://x.example/' } }, 'POST');
    expect(post.statusCode).toBe(415);
    expect(await t.ctx.checks.get('web')).toMatchObject({ name: 'Web', intervalMs: 120_000, tags: [] });
  });
});
