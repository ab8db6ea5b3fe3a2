import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../errors/errors.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import { downtimeBounds, type IncidentMember } from './incident.js';
import { IncidentStore, type OpenRequest } from './incident-store.js';

const MIN = 60_000;
const REOPEN = 10 * MIN;

function member(checkId: string, overrides: Partial<IncidentMember> = {}): IncidentMember {
  return {
    checkId,
    name: `Check ${checkId}`,
    down: true,
    firstFailedRound: T0,
    lastFailedRound: T0 + 30_000,
    lastGoodBefore: T0 - 30_000,
    vantagesFailing: ['alpha', 'beta'],
    vantagesTotal: 3,
    error: 'connect_refused',
    message: 'connection refused',
    ...overrides,
  };
}

function request(overrides: Partial<OpenRequest> = {}): OpenRequest {
  return {
    group: 'component:api',
    title: 'Public API: outage',
    impact: 'major',
    severity: 'critical',
    component: 'api',
    escalation: 'platform',
    startedAt: T0,
    member: member('api-health'),
    openedMessage: 'API health is failing from 2 of 3 vantages: connect_refused.',
    joinedMessage: '',
    ...overrides,
  };
}

describe('IncidentStore', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let store: IncidentStore;

  beforeEach(async () => {
    ctx = await testRedis('incidents');
    keys = redisKeys(ctx.prefix);
    store = new IncidentStore({ redis: ctx.redis, keys });
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  async function events(): Promise<Record<string, string>[]> {
    const entries = await ctx.redis.xrange(keys.incidentEvents, '-', '+');
    return entries.map(([, fields]) => {
      const event: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) event[fields[i] ?? ''] = fields[i + 1] ?? '';
      return event;
    });
  }

  /** An incident of `api-health` (and `others`), opened at T0 + 1m. */
  async function opened(...others: string[]): Promise<string> {
    const { id } = await store.openOrJoin(request(), T0 + MIN, REOPEN);
    for (const checkId of others) await store.openOrJoin(request({ member: member(checkId) }), T0 + MIN, REOPEN);
    return id;
  }

  async function recover(id: string, checkId: string, now: number, firstGoodAfter = T0 + 60_000) {
    return store.memberRecovered(
      id,
      {
        checkId,
        firstGoodAfter,
        lastFailedRound: T0 + 30_000,
        partialMessage: 'Partial recovery; checks still failing: %d.',
        resolvedMessage: 'Resolved: every check is up again.',
      },
      now,
    );
  }

  it('opens an incident with its fields, first member, timeline entry and event', async () => {
    expect(await store.openOrJoin(request(), T0 + MIN, REOPEN)).toEqual({ id: '1', verb: 'opened' });
    const incident = await store.get('1');
    expect(incident).toMatchObject({
      id: '1',
      title: 'Public API: outage',
      group: 'component:api',
      impact: 'major',
      severity: 'critical',
      status: 'investigating',
      component: 'api',
      escalation: 'platform',
      episode: 1,
      startedAt: T0,
      detectedAt: T0 + MIN,
      members: [member('api-health')],
      updates: [
        {
          at: T0 + MIN,
          status: 'investigating',
          message: 'API health is failing from 2 of 3 vantages: connect_refused.',
          by: 'vigil',
        },
      ],
    });
    expect(incident?.acknowledgedAt).toBeUndefined();
    expect(await store.ofGroup('component:api')).toMatchObject({ id: '1' });
    expect(await events()).toEqual([{ type: 'opened', id: '1', at: String(T0 + MIN), by: 'vigil' }]);
  });

  it('joins the open incident of the group; a member already down or no member changes nothing', async () => {
    const id = await opened();
    expect(await store.openOrJoin(request({ member: member('api-latency') }), T0 + 2 * MIN, REOPEN)).toEqual({
      id,
      verb: 'joined',
    });
    expect(await store.openOrJoin(request(), T0 + 3 * MIN, REOPEN)).toEqual({ id, verb: 'unchanged' });
    const { member: _, ...withoutMember } = request();
    expect(await store.openOrJoin(withoutMember, T0 + 3 * MIN, REOPEN)).toEqual({ id, verb: 'unchanged' });
    const incident = await store.get(id);
    expect(incident?.members.map((m) => m.checkId)).toEqual(['api-health', 'api-latency']);
    expect(incident?.updates).toHaveLength(1);
    expect((await events()).map((e) => e.type)).toEqual(['opened', 'joined']);
  });

  it('writes a joined message when one is given', async () => {
    const id = await opened();
    await store.openOrJoin(
      request({ member: member('api-latency'), joinedMessage: 'API latency is failing too.' }),
      T0 + 2 * MIN,
      REOPEN,
    );
    expect((await store.get(id))?.updates.map((u) => u.message)).toContain('API latency is failing too.');
  });

  it('resolves with the last member out, with downtime bounds over every member', async () => {
    const id = await opened('api-latency');
    expect(await recover(id, 'api-latency', T0 + 2 * MIN)).toEqual({ verb: 'partial', stillDown: 1 });
    expect((await store.get(id))?.status).toBe('investigating');
    // At least first failed (T0) → last failed (T0+30s); at most last good before (T0-30s) → first good after (T0+90s).
    expect(await recover(id, 'api-health', T0 + 3 * MIN, T0 + 90_000)).toEqual({
      verb: 'resolved',
      atLeastMs: 30_000,
      atMostMs: 120_000,
    });
    const incident = await store.get(id);
    expect(incident).toMatchObject({ status: 'resolved', resolvedAt: T0 + 3 * MIN, resolvedBy: 'vigil' });
    expect(incident?.members.every((m) => !m.down)).toBe(true);
    expect(incident?.updates.map((u) => [u.status, u.message])).toEqual([
      ['investigating', 'API health is failing from 2 of 3 vantages: connect_refused.'],
      ['investigating', 'Partial recovery; checks still failing: 1.'],
      ['resolved', 'Resolved: every check is up again. Down for at least 30s and at most 2m.'],
    ]);
    expect(incident && downtimeBounds(incident, T0 + 10 * MIN)).toEqual({
      atLeastMs: 30_000,
      atMostMs: 120_000,
      final: true,
    });
    expect((await events()).map((e) => e.type)).toEqual(['opened', 'joined', 'partial', 'resolved']);
    expect(await store.listOpen()).toEqual([]);
  });

  it('keeps a member that recovered twice, or was never there, unchanged', async () => {
    const id = await opened('api-latency');
    await recover(id, 'api-latency', T0 + 2 * MIN);
    expect(await recover(id, 'api-latency', T0 + 3 * MIN)).toEqual({ verb: 'unchanged' });
    expect(await recover(id, 'nope', T0 + 3 * MIN)).toEqual({ verb: 'unchanged' });
  });

  it('reopens a group resolved within the window as a new episode; later it opens a new incident', async () => {
    const id = await opened();
    expect(await store.acknowledge(id, 'ana', T0 + 2 * MIN)).toBe('acknowledged');
    await recover(id, 'api-health', T0 + 3 * MIN);
    const again = request({ member: member('api-health', { firstFailedRound: T0 + 5 * MIN }) });
    expect(await store.openOrJoin(again, T0 + 3 * MIN + REOPEN, REOPEN)).toEqual({ id, verb: 'reopened' });
    const reopened = await store.get(id);
    expect(reopened).toMatchObject({ status: 'investigating', episode: 2 });
    expect(reopened?.resolvedAt).toBeUndefined();
    // A new episode must page again: episode 1's acknowledgement does not carry over.
    expect(reopened?.acknowledgedAt).toBeUndefined();
    expect(reopened?.members[0]?.down).toBe(true);
    expect(reopened?.updates.at(-1)?.message).toBe(
      'Reopened: API health is failing from 2 of 3 vantages: connect_refused.',
    );
    expect((await store.listOpen()).map((i) => i.id)).toEqual([id]);

    await recover(id, 'api-health', T0 + 20 * MIN);
    const later = await store.openOrJoin(request(), T0 + 20 * MIN + REOPEN + 1, REOPEN);
    expect(later).toEqual({ id: '2', verb: 'opened' });
    expect((await events()).map((e) => e.type)).toEqual([
      'opened',
      'acknowledged',
      'resolved',
      'reopened',
      'resolved',
      'opened',
    ]);
  });

  it('acknowledges once: the first wins, a resolved incident is not acknowledged', async () => {
    const id = await opened();
    expect(await store.acknowledge(id, 'ana', T0 + 2 * MIN)).toBe('acknowledged');
    expect(await store.acknowledge(id, 'bo', T0 + 3 * MIN)).toBe('already');
    const incident = await store.get(id);
    expect(incident).toMatchObject({ acknowledgedAt: T0 + 2 * MIN, acknowledgedBy: 'ana' });
    expect(incident?.updates.at(-1)).toEqual({
      at: T0 + 2 * MIN,
      status: 'investigating',
      message: 'Acknowledged by ana.',
      by: 'ana',
    });
    expect(await store.resolve(id, 'bo', T0 + 4 * MIN)).toBe('resolved');
    const { id: other } = await store.openOrJoin(request({ group: 'check:db' }), T0, REOPEN);
    await store.resolve(other, 'bo', T0 + MIN);
    expect(await store.acknowledge(other, 'ana', T0 + 2 * MIN)).toBe('resolved');
    expect((await store.get(other))?.acknowledgedAt).toBeUndefined();
    const acks = (await events()).filter((e) => e.type === 'acknowledged');
    expect(acks).toEqual([{ type: 'acknowledged', id, at: String(T0 + 2 * MIN), by: 'ana' }]);
    await expect(store.acknowledge('999', 'ana', T0)).rejects.toSatisfy((err) => isVigilError(err, 'NOT_FOUND'));
  });

  it('resolves by hand once, with the message given', async () => {
    const id = await opened();
    expect(await store.resolve(id, 'ana', T0 + 5 * MIN, 'Fixed the load balancer.')).toBe('resolved');
    expect(await store.resolve(id, 'bo', T0 + 6 * MIN)).toBe('already');
    const incident = await store.get(id);
    expect(incident).toMatchObject({ status: 'resolved', resolvedAt: T0 + 5 * MIN, resolvedBy: 'ana' });
    expect(incident?.updates.at(-1)).toMatchObject({ status: 'resolved', message: 'Fixed the load balancer.' });
    expect((await events()).at(-1)).toEqual({ type: 'resolved', id, at: String(T0 + 5 * MIN), by: 'ana' });
    await expect(store.resolve('999', 'ana', T0)).rejects.toSatisfy((err) => isVigilError(err, 'NOT_FOUND'));
  });

  it('adds human updates; a resolved update resolves; a resolved incident takes no other status', async () => {
    const id = await opened();
    await store.addUpdate(id, { by: 'ana', status: 'identified', message: 'Bad deploy.' }, T0 + 2 * MIN);
    expect((await store.get(id))?.status).toBe('identified');
    await store.addUpdate(id, { by: 'ana', status: 'resolved', message: 'Rolled back.' }, T0 + 3 * MIN);
    const incident = await store.get(id);
    expect(incident).toMatchObject({ status: 'resolved', resolvedBy: 'ana', resolvedAt: T0 + 3 * MIN });
    expect(incident?.updates.slice(1)).toEqual([
      { at: T0 + 2 * MIN, status: 'identified', message: 'Bad deploy.', by: 'ana' },
      { at: T0 + 3 * MIN, status: 'resolved', message: 'Rolled back.', by: 'ana' },
    ]);
    await expect(
      store.addUpdate(id, { by: 'ana', status: 'monitoring', message: 'Watching.' }, T0 + 4 * MIN),
    ).rejects.toSatisfy((err) => isVigilError(err, 'CONFLICT'));
    await expect(store.addUpdate('999', { by: 'ana', status: 'identified', message: 'x' }, T0)).rejects.toSatisfy(
      (err) => isVigilError(err, 'NOT_FOUND'),
    );
    expect((await events()).map((e) => [e.type, e.by])).toEqual([
      ['opened', 'vigil'],
      ['updated', 'ana'],
      ['resolved', 'ana'],
    ]);
  });

  it('lists every incident newest first by start, open ones apart; getMany skips unknown ids', async () => {
    const first = await opened();
    const { id: second } = await store.openOrJoin(request({ group: 'check:db', startedAt: T0 + MIN }), T0, REOPEN);
    const { id: third } = await store.openOrJoin(request({ group: 'check:dns', startedAt: T0 + 2 * MIN }), T0, REOPEN);
    await store.resolve(second, 'ana', T0 + 3 * MIN);
    expect((await store.list()).map((i) => i.id)).toEqual([third, second, first]);
    expect((await store.list({ offset: 1, limit: 1 })).map((i) => i.id)).toEqual([second]);
    expect((await store.listOpen()).map((i) => i.id)).toEqual([third, first]);
    expect((await store.getMany([third, '999', first])).map((i) => i.id)).toEqual([third, first]);
    expect(await store.getMany([])).toEqual([]);
    expect(await store.get('999')).toBeUndefined();
    expect(await store.ofGroup('check:nothing')).toBeUndefined();
  });

  it('reads an empty vantagesFailing back as an empty array', async () => {
    const blind = member('api-health', { vantagesFailing: [], vantagesTotal: 0 });
    const { id } = await store.openOrJoin(request({ member: blind }), T0, REOPEN);
    await recover(id, 'api-health', T0 + MIN);
    const incident = await store.get(id);
    expect(incident?.members[0]?.vantagesFailing).toEqual([]);
    expect(incident?.members[0]).toMatchObject({ down: false, firstGoodAfter: T0 + 60_000 });
  });
});
