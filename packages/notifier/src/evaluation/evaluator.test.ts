import { createLogger, downtimeBounds, type Incident, maintenanceSchema, parseConfig, readUptime } from '@vigil/core';
import { roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NotifierContext } from '../notifier-context.js';
import { testEvaluation, testNotifierContext } from '../testing.js';
import { BlindSpots } from './blind-spots.js';

const config = parseConfig(`
vantages: [alpha, beta, gamma]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
components:
  - { id: api, name: Public API }
checks:
  - { id: api-health, name: API health, component: api, http: { url: "https://api.example.com/health" } }
  - { id: api-login, name: API login, component: api, http: { url: "https://api.example.com/login" } }
  - { id: api-search, name: API search, component: api, http: { url: "https://api.example.com/search" } }
  - { id: blog, name: Blog, http: { url: "https://blog.example.com/" } }
  - { id: docs, name: Docs, http: { url: "https://docs.example.com/" } }
  - { id: wiki, name: Wiki, http: { url: "https://wiki.example.com/" } }
maintenances:
  - { id: move, title: Moving docs, checks: [docs, wiki], start: "2026-11-20T12:00:00Z", end: "2026-11-20T12:05:00Z" }
`);
const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const INTERVAL = 30_000;
/** Timeout (10s) + roundGrace (2s): when a round stops waiting for missing vantages. */
const DEADLINE = 12_000;
/** blindAfterRounds (3) × interval + timeout + roundGrace. */
const BLIND_AFTER = 3 * INTERVAL + DEADLINE;
const API = ['api-health', 'api-login', 'api-search'];
const log = createLogger({ level: 'silent' });
const R = (k: number) => T0 + k * INTERVAL;

/** One notifier's pieces, wired as `Notifier` wires them, minus BullMQ and paging. */
async function notifier(ctx: NotifierContext) {
  const { catalog, health, desk, evaluator } = await testEvaluation(ctx);
  const blind = new BlindSpots(ctx, { catalog });
  return { ctx, incidents: ctx.incidents, catalog, health, desk, evaluator, states: ctx.checkStates, blind };
}
type Stack = Awaited<ReturnType<typeof notifier>>;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fleet with `checkIds` registered, one notifier, and a hand-driven clock at T0. */
async function world(checkIds: readonly string[]) {
  const clock = { t: T0, now: (): number => clock.t };
  const base = await testContext('evaluator', { clock, log });
  cleanups.push(base.cleanup);
  const { keys } = base;
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks.filter((c) => checkIds.includes(c.id))) await ctx.checks.put(check);
  const main = await notifier(ctx);
  return {
    ...main,
    keys,
    clock,
    redis: base.redis,
    /** Another notifier on a connection of its own. */
    async second(): Promise<Stack> {
      return notifier(testNotifierContext(base.peer(), { config }));
    },
    /**
     * Round `k` of `checks` arrives a second after it was due, every result at once (to every
     * notifier in `to`); `pattern` is alpha, beta, gamma: U up, D down (connection refused), - none.
     */
    async feed(k: number, pattern: string, checks: readonly string[] = checkIds, to: Stack[] = [main]) {
      clock.t = Math.max(clock.t, R(k) + 1_000);
      const sends: Promise<void>[] = [];
      for (const checkId of checks) {
        for (const [i, vantage] of VANTAGES.entries()) {
          const mark = pattern[i];
          if (mark === '-') continue;
          const ok = mark === 'U';
          const result = roundResult(checkId, vantage, R(k), ok);
          for (const stack of to) sends.push(stack.evaluator.onResult({ result, intervalMs: INTERVAL }));
        }
      }
      await Promise.all(sends);
    },
    async state(checkId: string): Promise<string | undefined> {
      return (await main.states.get(checkId)).state;
    },
    async beat(vantages: readonly string[] = VANTAGES) {
      for (const vantage of vantages) await base.redis.hset(keys.vantageHeartbeats, vantage, clock.t);
    },
  };
}

const messages = (incident: Incident | undefined) => incident?.updates.map((u) => u.message);

describe('Evaluator: confirmations and quorum', () => {
  it('opens nothing on one failing round, and exactly one incident on the second, started at the first', async () => {
    const w = await world(['api-health']);
    await w.feed(0, 'UUU');
    await w.feed(1, 'DDD');
    expect(await w.incidents.list()).toEqual([]);
    expect(await w.state('api-health')).toBe('up');
    await w.feed(2, 'DDD');
    await w.feed(3, 'DDD');
    const incidents = await w.incidents.list();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      title: 'Public API: outage',
      group: 'component:api',
      impact: 'major',
      status: 'investigating',
      startedAt: R(1),
      detectedAt: R(2) + 1_000,
      members: [
        {
          checkId: 'api-health',
          down: true,
          firstFailedRound: R(1),
          lastFailedRound: R(2),
          lastGoodBefore: R(0),
          vantagesFailing: ['alpha', 'beta', 'gamma'],
          vantagesTotal: 3,
          error: 'connect_refused',
          message: 'connection refused',
        },
      ],
    });
    expect(messages(incidents[0])).toEqual(['API health is failing from 3 of 3 vantages: connect_refused.']);
    expect(await w.state('api-health')).toBe('down');
  });

  it('is degraded, with no incident, while one vantage fails (below quorum)', async () => {
    const w = await world(['api-health']);
    await w.feed(0, 'UUU');
    for (const k of [1, 2, 3]) await w.feed(k, 'UUD');
    expect(await w.state('api-health')).toBe('degraded');
    expect(await w.incidents.list()).toEqual([]);
  });

  it('opens nothing for a check flapping fail, ok, fail, ok', async () => {
    const w = await world(['api-health']);
    for (const k of [0, 1, 2, 3, 4, 5]) await w.feed(k, k % 2 === 0 ? 'DDD' : 'UUU');
    expect(await w.incidents.list()).toEqual([]);
    expect(await w.state('api-health')).toBe('up');
  });

  it('recovers after 2 good rounds and resolves with downtime bounds', async () => {
    const w = await world(['api-health']);
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD', 'UUU'].entries()) await w.feed(k, pattern);
    expect(await w.state('api-health')).toBe('down');
    expect((await w.incidents.listOpen()).length).toBe(1);
    await w.feed(4, 'UUU');
    expect(await w.state('api-health')).toBe('up');
    const [incident] = await w.incidents.list();
    expect(incident).toMatchObject({ status: 'resolved', resolvedAt: R(4) + 1_000, resolvedBy: 'vigil' });
    expect(incident?.members[0]).toMatchObject({ down: false, lastFailedRound: R(2), firstGoodAfter: R(3) });
    // At least R2 − R1; at most R3 (first good after) − R0 (last good before).
    expect(messages(incident)?.at(-1)).toBe(
      'Resolved: every check is up again. Down for at least 30s and at most 1m30s.',
    );
    expect(incident && downtimeBounds(incident, w.clock.now())).toEqual({
      atLeastMs: 30_000,
      atMostMs: 90_000,
      final: true,
    });
  });
});

describe('Evaluator: rounds decided once', () => {
  it('ignores a duplicate and a result for a round already decided', async () => {
    const w = await world(['blog']);
    await w.feed(0, 'UUU');
    await w.feed(1, 'DDD');
    await w.feed(1, 'U--'); // alpha again, now saying up
    await w.feed(0, 'D--'); // alpha, far too late
    expect(await w.state('blog')).toBe('up');
    await w.feed(2, 'DDD');
    const [incident] = await w.incidents.list();
    expect(incident).toMatchObject({ title: 'Blog is down', group: 'check:blog', startedAt: R(1) });
    expect(incident?.members[0]?.vantagesFailing).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('decides the rounds it claimed from the catalog it holds when the registry does not answer', async () => {
    const w = await world(['api-health']);
    await w.feed(0, 'UUU');
    await w.feed(1, 'DD-');
    await w.feed(2, 'DD-');
    w.clock.t = R(1) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    // The registry fails to answer while the second round is due: the claimed round is still judged.
    const refused = vi.spyOn(w.catalog, 'fetchMany').mockRejectedValue(new Error('registry unreachable'));
    w.clock.t = R(2) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    expect(refused).toHaveBeenCalled();
    refused.mockRestore();
    expect(await w.state('api-health')).toBe('down');
    expect(await w.incidents.list()).toHaveLength(1);
  });

  it('decides a round missing a vantage at its deadline, and ignores that vantage arriving late', async () => {
    const w = await world(['api-health']);
    await w.feed(0, 'UUU');
    await w.feed(1, 'DD-');
    w.clock.t = R(1) + DEADLINE - 1;
    expect(await w.evaluator.decideDue()).toBe(0);
    w.clock.t = R(1) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    await w.feed(2, 'DD-');
    expect(await w.incidents.list()).toEqual([]);
    w.clock.t = R(2) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    await w.feed(2, '--U');
    expect(await w.evaluator.decideDue()).toBe(0);
    const [incident, ...others] = await w.incidents.list();
    expect(others).toEqual([]);
    expect(incident?.members[0]).toMatchObject({ vantagesFailing: ['alpha', 'beta'], vantagesTotal: 2 });
    expect(messages(incident)).toEqual(['API health is failing from 2 of 2 vantages: connect_refused.']);
    // A round decided after a later one (out of order) changes nothing either.
    await w.feed(3, 'UU-');
    await w.feed(4, 'UUU');
    w.clock.t = R(4) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    expect(await w.state('api-health')).toBe('down');
  });

  it('expects a vantage a stored check lists twice (before that was refused) once, deciding the round when each reported', async () => {
    const w = await world([]);
    const blog = config.checks.find((c) => c.id === 'blog');
    // Written raw, as a release that let `vantages: [alpha, beta, alpha]` through stored it.
    await w.redis.hset(w.keys.checks, 'blog', JSON.stringify({ ...blog, vantages: ['alpha', 'beta', 'alpha'] }));
    await w.feed(0, 'UU-', ['blog']);
    expect(await w.state('blog')).toBe('up');
    w.clock.t = R(0) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(0);
  });

  it('two notifiers fed the same results open one incident and decide each round once', async () => {
    const w = await world(['api-health']);
    const other = await w.second();
    const stacks = [w, other];
    const observed = stacks.map((stack) => vi.spyOn(stack.health, 'observe'));
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD', 'DD-'].entries()) await w.feed(k, pattern, undefined, stacks);
    w.clock.t = R(3) + DEADLINE;
    expect((await Promise.all(stacks.map((s) => s.evaluator.decideDue()))).sort()).toEqual([0, 1]);
    await Promise.all(stacks.map((s) => s.desk.drain(0)));
    expect(observed.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(4);
    const incidents = await w.incidents.list();
    expect(incidents).toHaveLength(1);
    expect(messages(incidents[0])).toHaveLength(1);
    const events = await w.redis.xrange(w.keys.incidentEvents, '-', '+');
    expect(events.map(([, fields]) => fields[1])).toEqual(['opened']);
    expect((await readUptime(w, 'api-health', w.clock.now()))['24h']).toMatchObject({ rounds: 4, ok: 1, fail: 3 });
  });

  it('counts each decided round once in uptime: not duplicates, late results or rounds decided out of order', async () => {
    const w = await world(['blog']);
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD', 'DDD', 'UUD', 'UUU'].entries()) await w.feed(k, pattern);
    await w.feed(2, 'U--'); // a duplicate of a decided round
    await w.feed(0, 'D--'); // far too late
    await w.feed(6, 'DD-'); // waits for gamma…
    await w.feed(7, 'UUU'); // …while round 7 is decided first
    expect(await w.evaluator.decideDue()).toBe(1); // round 6, now older than the last round applied
    expect(await w.state('blog')).toBe('up');
    const expected = { rounds: 7, ok: 3, degraded: 1, fail: 3, uptime: 4 / 7 };
    const report = await readUptime(w, 'blog', w.clock.now());
    expect(report['24h']).toEqual({ window: '24h', ...expected });
    expect(report['90d']).toEqual({ window: '90d', ...expected });
  });

  it('leaves no round book behind: rounds applied, decided out of order, or claimed for a paused check', async () => {
    const w = await world(['blog', 'docs']);
    const books = async (checkId: string) =>
      Object.keys(await w.redis.hgetall(w.keys.latest(checkId))).filter((field) => field.startsWith('~b'));
    await w.feed(0, 'UUU', ['blog']);
    await w.feed(1, 'DD-', ['blog']); // waits for gamma…
    await w.feed(2, 'UUU', ['blog']); // …while round 2 is decided first
    w.clock.t = R(1) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    expect(await books('blog')).toEqual([]);
    await w.feed(3, 'U--', ['docs']);
    const docs = config.checks.find((check) => check.id === 'docs');
    if (docs) await w.ctx.checks.put({ ...docs, paused: true });
    await w.catalog.reload();
    w.clock.t = R(3) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(1);
    expect(await books('docs')).toEqual([]);
  });
});

describe('Evaluator: a round’s results in one merged batch', () => {
  it('decides rounds whose vantages arrive together at once, and leaves the sweep nothing to claim', async () => {
    const w = await world(['blog', 'docs']);
    const all = (k: number, pattern: string) =>
      VANTAGES.flatMap((vantage, i) =>
        ['blog', 'docs'].map((checkId) => ({
          result: roundResult(checkId, vantage, R(k), pattern[i] === 'U'),
          intervalMs: INTERVAL,
        })),
      );
    // As the recorder merges the vantages' batches: each vantage's checks in turn. Healthy results (a
    // failing one's message is recorded on its own).
    await w.evaluator.recordAndDecide(all(0, 'UUU'));
    w.clock.t = R(1) + 1_000;
    expect(await w.evaluator.recordAndDecide(all(1, 'UUU'))).toEqual(all(1, 'UUU').map(() => 'latest'));
    for (const checkId of ['blog', 'docs']) {
      const latest = await w.redis.hgetall(w.keys.latest(checkId));
      expect(Object.keys(latest).filter((field) => field.startsWith('~b'))).toEqual([]);
      expect(latest['~a']).toBe(String(R(1)));
      expect(Number((await w.states.get(checkId)).lastRound)).toBe(R(1));
    }
    const pending = await w.redis.zrange(w.keys.pendingRounds(w.keys.shardOf('blog')), 0, -1);
    expect(pending.filter((member) => member.includes(String(R(1))))).toEqual([]);
    w.clock.t = R(1) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(0);
  });
});

describe('IncidentDesk: grouping, reopening, maintenance', () => {
  it('groups 3 checks of one component going down into one incident with 3 members', async () => {
    const w = await world(API);
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD'].entries()) await w.feed(k, pattern);
    const incidents = await w.incidents.list();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.members.map((m) => [m.checkId, m.down])).toEqual([
      ['api-health', true],
      ['api-login', true],
      ['api-search', true],
    ]);
    for (const k of [3, 4]) await w.feed(k, 'UUU', ['api-health']);
    const [partial] = await w.incidents.list();
    expect(partial?.status).toBe('investigating');
    expect(messages(partial)?.at(-1)).toBe('Partial recovery; checks still failing: 2.');
  });

  it('reopens the incident of a check failing again within the reopen window; after it, opens a new one', async () => {
    const w = await world(['blog']);
    const outage = async (from: number) => {
      for (const [i, pattern] of ['DDD', 'DDD', 'UUU', 'UUU'].entries()) await w.feed(from + i, pattern);
    };
    await w.feed(0, 'UUU');
    await outage(1);
    const [first] = await w.incidents.list();
    expect(first?.status).toBe('resolved');
    await outage(5); // resolved at R4 + 1s, down again at R6 + 1s: a minute later
    const [again, ...none] = await w.incidents.list();
    expect(none).toEqual([]);
    expect(again).toMatchObject({ id: first?.id, episode: 2, status: 'resolved' });
    expect(messages(again)).toContain('Reopened: Blog is failing from 3 of 3 vantages: connect_refused.');
    // The minute it was seen up between the two failures is not counted as downtime.
    expect(messages(again)?.at(-1)).toBe('Resolved: every check is up again. Down for at least 30s and at most 1m30s.');
    await outage(30); // down at R31 + 1s: 11.5 minutes after the last resolution
    const latest = await w.incidents.list();
    expect(latest).toHaveLength(2);
    expect(latest[0]).toMatchObject({ episode: 1, startedAt: R(30) });
    expect(latest[0]?.id).not.toBe(first?.id);
  });

  it('opens no incident during maintenance; after it, opens one for a check still down', async () => {
    const w = await world(['docs', 'wiki']);
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD'].entries()) await w.feed(k, pattern);
    expect(await w.state('docs')).toBe('down');
    w.clock.t += 5_000;
    await w.desk.drain();
    expect(await w.incidents.list()).toEqual([]);
    for (const k of [3, 4]) await w.feed(k, 'UUU', ['wiki']);
    await w.feed(10, 'DDD', ['docs']); // R10 = 12:05, the window's end
    w.clock.t += 5_000;
    await w.desk.drain();
    const incidents = await w.incidents.list();
    expect(incidents.map((i) => [i.group, i.startedAt])).toEqual([['check:docs', R(1)]]);
  });

  it('honours a maintenance created through the API; deleting it opens the incident on the next drain', async () => {
    const w = await world(['blog']);
    const api = w.ctx.maintenances;
    await api.create(
      maintenanceSchema.parse({
        id: 'blog-move',
        title: 'Moving the blog',
        checks: ['blog'],
        start: '2026-11-20T12:00:00Z',
        end: '2026-11-20T14:00:00Z',
      }),
    );
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD'].entries()) await w.feed(k, pattern);
    expect(await w.state('blog')).toBe('down');
    w.clock.t += 5_000;
    await w.desk.drain();
    expect(await w.incidents.list()).toEqual([]);

    expect(await api.delete('blog-move')).toBe(true);
    w.clock.t += 5_000;
    await w.desk.drain();
    const incidents = await w.incidents.list();
    expect(incidents.map((i) => [i.group, i.startedAt])).toEqual([['check:blog', R(1)]]);
  });
});

describe('IncidentDesk: a maintenance of a deleted check', () => {
  it("pages the next owner's check of a reused id: another owner's maintenance naming the id does not cover it", async () => {
    const w = await world(['blog']);
    const blog = config.checks.find((c) => c.id === 'blog');
    if (!blog) throw new Error('no blog check');
    // team-a's blog, under team-a's maintenance, was deleted; team-b registered its own blog.
    await w.ctx.checks.put({ ...blog, owner: 'team-b' });
    await w.catalog.reload();
    expect((await w.catalog.fetch('blog'))?.owner).toBe('team-b');
    await w.ctx.maintenances.create({
      ...maintenanceSchema.parse({
        id: 'a-move',
        title: 'Moving the blog of team-a',
        checks: ['blog'],
        start: '2026-11-20T12:00:00Z',
        end: '2026-11-20T14:00:00Z',
      }),
      owners: { blog: 'team-a' },
    });
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD'].entries()) await w.feed(k, pattern);
    w.clock.t += 5_000;
    await w.desk.drain();
    const incidents = await w.incidents.list();
    expect(incidents.map((i) => [i.group, i.startedAt])).toEqual([['check:blog', R(1)]]);
  });
});

describe('VantageHealth', () => {
  it('finds gamma impaired, leaves it out of the quorum, and resolves when it recovers', async () => {
    const w = await world(API);
    await w.feed(0, 'UUD');
    await w.beat();
    await w.health.tick();
    const [fleet] = await w.incidents.listOpen();
    expect(fleet).toMatchObject({
      title: 'vantage gamma impaired: 3 of 3 checks failing only there',
      group: 'vantage:gamma:impaired',
      impact: 'fleet',
    });
    expect([...w.health.impaired()]).toEqual(['gamma']);
    // Gamma left out, the quorum is a majority of {alpha, beta}: both must fail.
    for (const k of [1, 2]) {
      await w.feed(k, 'DUD', ['api-health']);
      await w.feed(k, 'DDU', ['api-login']);
    }
    expect(await w.state('api-health')).toBe('degraded');
    expect(await w.state('api-login')).toBe('down');
    const api = (await w.incidents.listOpen()).find((i) => i.group === 'component:api');
    expect(api?.members).toMatchObject([
      { checkId: 'api-login', vantagesFailing: ['alpha', 'beta'], vantagesTotal: 2 },
    ]);

    // A real outage, failing everywhere, says nothing about gamma: it stays impaired.
    await w.feed(3, 'DDD');
    await w.beat();
    await w.health.tick();
    expect([...w.health.impaired()]).toEqual(['gamma']);

    await w.feed(4, 'UUU');
    await w.beat();
    await w.health.tick();
    const healed = await w.incidents.get(fleet?.id ?? '');
    expect(healed?.status).toBe('resolved');
    expect(messages(healed)?.at(-1)).toBe('Vantage gamma is healthy again.');
    expect(w.health.impaired().size).toBe(0);
  });

  it('finds a vantage without a heartbeat silent and stops waiting for it', async () => {
    const w = await world(['api-health']);
    w.clock.t = T0 + 31_000;
    await w.beat(['alpha', 'beta']);
    await w.health.tick();
    const open = await w.incidents.listOpen();
    expect(open.map((i) => [i.title, i.impact])).toEqual([['vantage gamma silent: no heartbeat for 31s', 'fleet']]);
    await w.feed(1, 'UU-');
    expect(await w.state('api-health')).toBe('up');
    // Decided without waiting for gamma: nothing is left to claim at the round's deadline.
    w.clock.t = R(1) + DEADLINE;
    expect(await w.evaluator.decideDue()).toBe(0);
    await w.beat();
    await w.health.tick();
    expect(await w.incidents.listOpen()).toEqual([]);
  });

  it('resolves a silence another notifier judged, once the vantage beats again', async () => {
    const w = await world(['api-health']);
    const other = await w.second();
    await w.health.tick(); // every vantage healthy here: nothing stored, nothing to delete
    w.clock.t = T0 + 31_000;
    await w.beat(['alpha', 'beta']);
    await other.health.tick();
    const [silence] = await w.incidents.listOpen();
    expect(silence?.group).toBe('vantage:gamma:silent');
    w.clock.t += 1_000;
    await w.beat();
    await w.health.tick();
    expect((await w.incidents.get(silence?.id ?? ''))?.status).toBe('resolved');
    await other.health.tick();
    expect(await w.incidents.listOpen()).toEqual([]);
  });
});

describe('BlindSpots', () => {
  it('marks a check without results unknown in one fleet incident, resolved when results return', async () => {
    const w = await world(['api-health', 'blog']);
    await w.feed(0, 'UUU');
    for (const k of [1, 2, 3]) await w.feed(k, 'UUU', ['api-health']);
    await w.blind.tick();
    expect(await w.incidents.list()).toEqual([]);
    await w.feed(4, 'UUU', ['api-health']); // now past R0 + 3 rounds + timeout + grace
    expect(w.clock.now()).toBeGreaterThan(R(0) + BLIND_AFTER);
    await w.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
    expect(await w.state('api-health')).toBe('up');
    const [blind] = await w.incidents.listOpen();
    expect(blind).toMatchObject({ group: 'fleet:blind', title: 'Blind spot: checks without results' });
    expect(blind?.members.map((m) => m.checkId)).toEqual(['blog']);
    expect(messages(blind)).toEqual(['No results for Blog for 3 rounds: nobody is watching it.']);
    await w.feed(5, 'UUU');
    await w.blind.tick();
    expect(await w.state('blog')).toBe('up');
    const back = await w.incidents.get(blind?.id ?? '');
    expect(back?.status).toBe('resolved');
    expect(messages(back)?.at(-1)).toMatch(/^Results are back for every check\./);
  });

  it('resolves the incident of a check that went blind while down once it recovers', async () => {
    const w = await world(['blog']);
    for (const [k, pattern] of ['UUU', 'DDD', 'DDD'].entries()) await w.feed(k, pattern);
    w.clock.t = R(2) + BLIND_AFTER + 1;
    await w.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
    await w.feed(10, 'UUU');
    expect(await w.state('blog')).toBe('down'); // recovery still needs 2 good rounds
    expect((await w.incidents.ofGroup('check:blog'))?.status).toBe('investigating');
    await w.feed(11, 'UUU');
    expect(await w.state('blog')).toBe('up');
    const outage = await w.incidents.ofGroup('check:blog');
    expect(outage).toMatchObject({ status: 'resolved', members: [{ down: false, firstGoodAfter: R(10) }] });
    await w.blind.tick();
    expect(await w.incidents.listOpen()).toEqual([]);
  });
});
