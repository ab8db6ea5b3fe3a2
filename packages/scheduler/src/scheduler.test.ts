import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Check,
  type CheckCommon,
  type CheckRegistry,
  decodeSlot,
  decodeStoredTarget,
  encodeSlotTargets,
  encodeStoredTargetText,
  type ProbeTarget,
  parseConfig,
  probeQueueName,
  roundFromJobId,
  targetRevision,
  toProbeTarget,
} from '@vigil/core';
import { eventually, type TestContext, testContext } from '@vigil/core/testing';
import { type JobSchedulerJson, Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { desiredSchedulers } from './desired-schedulers.js';
import { roundOffset, slotOffset } from './offset.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { createSchedulerContext } from './scheduler-context.js';

const VANTAGES = ['alpha', 'beta'];

function check(id: string, overrides: Partial<CheckCommon> = {}): Check {
  const [parsed] = parseConfig(
    `vantages: [alpha, beta]\nchecks: [{ id: ${id}, interval: 30s, tcp: { host: example.com, port: 443 } }]`,
  ).checks;
  if (!parsed) throw new Error('fixture did not parse');
  return { ...parsed, ...overrides };
}

describe('Scheduler', () => {
  let ctx: TestContext;
  let registry: CheckRegistry;
  const closers: (() => Promise<void>)[] = [];

  /** A scheduler process of its own: its connections are closed with `ctx`. */
  function startScheduler(options: SchedulerOptions = {}): Scheduler {
    const scheduler = new Scheduler(createSchedulerContext(ctx.peer(), { vantages: VANTAGES }), {
      leaseMs: 3_000,
      ...options,
    });
    closers.push(() => scheduler.close());
    return scheduler;
  }

  function queue(vantage: string): Queue {
    const q = new Queue(probeQueueName(vantage), { connection: ctx.redis, prefix: ctx.prefix });
    closers.push(() => q.close());
    return q;
  }

  async function schedulers(vantage: string) {
    // A scheduler removed while BullMQ lists them comes back undefined.
    const found: (JobSchedulerJson | undefined)[] = await queue(vantage).getJobSchedulers(0, -1);
    return found.flatMap((s) => (s ? [{ id: s.key, every: s.every, next: s.next }] : []));
  }

  /** The check ids a slot's string holds (a line each after the members fingerprint). */
  async function membersOf(vantage: string, slotId: string): Promise<string[]> {
    const text = await ctx.redis.get(ctx.keys.slot(vantage, slotId));
    return text === null ? [] : decodeSlot(text).members.map((member) => member.id);
  }

  /** check id → its target in the probe target store (one Redis: one shard). */
  async function storedTargets(): Promise<Map<string, ProbeTarget>> {
    // As Buffers: the store's values are deflated bytes.
    const stored = await ctx.redis.hgetallBuffer(ctx.keys.probeTargets('alpha', 0));
    return new Map(
      Object.entries(stored).map(([id, value]) => [id, JSON.parse(decodeStoredTarget(value) ?? '') as ProbeTarget]),
    );
  }

  /** check id → the slot scheduler of `vantage` whose members hold it. */
  async function slotsOfChecks(vantage: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const { id } of await schedulers(vantage)) {
      for (const checkId of await membersOf(vantage, id)) {
        expect(found.has(checkId), `${checkId} in two slots`).toBe(false);
        found.set(checkId, id);
      }
    }
    return found;
  }

  beforeEach(async () => {
    ctx = await testContext('scheduler');
    ({ checks: registry } = createSchedulerContext(ctx, { vantages: VANTAGES }));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await ctx.cleanup();
  });

  it('puts every check in one slot per vantage: all vantages on the same round, spread by a stable offset', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    await registry.put(check('only-beta', { vantages: ['beta'] }));
    await startScheduler().start();

    expect([...(await slotsOfChecks('alpha')).keys()].sort()).toEqual(['api', 'web']);
    expect([...(await slotsOfChecks('beta')).keys()].sort()).toEqual(['api', 'only-beta', 'web']);
    expect((await schedulers('alpha')).every((s) => !s.id.startsWith('api@'))).toBe(true);
    // Each target once a vantage probing it, at the revision the slots name.
    expect(Object.keys(await ctx.redis.hgetall(ctx.keys.probeTargets('alpha', 0))).sort()).toEqual(['api', 'web']);
    for (const vantage of VANTAGES) {
      const stored = await ctx.redis.hgetallBuffer(ctx.keys.probeTargets(vantage, 0));
      for (const { id } of await schedulers(vantage)) {
        const text = (await ctx.redis.get(ctx.keys.slot(vantage, id))) ?? '';
        for (const member of decodeSlot(text).members) {
          const value = stored[member.id] ?? Buffer.alloc(0);
          expect(value[0], 'the form written now: byte 0x01, then deflated bytes').toBe(0x01);
          expect(member.revision).toBe(targetRevision(decodeStoredTarget(value) ?? ''));
        }
      }
    }

    for (const id of ['api', 'web']) {
      const rounds = await Promise.all(
        VANTAGES.map(async (v) => {
          const slot = (await slotsOfChecks(v)).get(id);
          const delayed = await queue(v).getDelayed();
          return roundFromJobId(delayed.find((job) => job.id?.startsWith(`repeat:${slot}:`))?.id);
        }),
      );
      expect(rounds[0]).toBeDefined();
      expect(rounds[0]).toBe(rounds[1]);
      expect((rounds[0] ?? 0) % 30_000).toBe(slotOffset(id, 30_000));
      expect(roundOffset(id, 30_000) - slotOffset(id, 30_000)).toBeLessThan(1_000);
    }
    expect(roundOffset('api', 30_000)).not.toBe(roundOffset('web', 30_000));
  });

  it("keeps a probe queue's events stream short (nothing reads it), and its queue readers leave that be", async () => {
    await registry.put(check('api'));
    await startScheduler().start();
    const meta = (vantage: string) =>
      `${ctx.keys.queuePrefix(probeQueueName(vantage))}:${probeQueueName(vantage)}:meta`;
    for (const vantage of VANTAGES)
      await eventually(async () => (await ctx.redis.hget(meta(vantage), 'opts.maxLenEvents')) === '100');
    // The scheduler's queue depths (and the console's queue lag) read the same queues.
    await startScheduler().start();
    for (const vantage of VANTAGES) expect(await ctx.redis.hget(meta(vantage), 'opts.maxLenEvents')).toBe('100');
  });

  it('splits a slot larger than the chunk size, each chunk its own scheduler', async () => {
    const all = Array.from({ length: 7 }, (_, i) => check(`c${i}`, { intervalMs: 1_000, timeoutMs: 900 }));
    for (const c of all) await registry.put(c);
    await startScheduler({ slotChunkSize: 3 }).start();
    const found = await slotsOfChecks('alpha');
    expect([...found.keys()].sort()).toEqual(all.map((c) => c.id).sort());
    expect(new Set(found.values()).size).toBe(3);
    expect(await queue('alpha').getDelayedCount()).toBe(3);
  });

  it('writes only the chunk a new check joins, and no target again for a check that only moved to another chunk', async () => {
    const fast = (id: string) => check(id, { intervalMs: 1_000, timeoutMs: 900 });
    await registry.put(fast('c1'));
    await registry.put(fast('c3'));
    const scheduler = startScheduler({ slotChunkSize: 1, resyncEveryMs: 3_600_000 });
    await scheduler.start();
    const chunksBefore = await slotsOfChecks('alpha');
    // c2 takes a new chunk; c1 and c3 stay where they are: one chunk written a vantage, c2's target once a vantage.
    await registry.put(fast('c2'));
    const report = await scheduler.reconcile();
    expect(report?.membersWritten).toBe(2);
    expect(report?.targetsWritten).toBe(2);
    const chunksAfter = await slotsOfChecks('alpha');
    expect(chunksAfter.get('c3')).toBe(chunksBefore.get('c3'));
    expect([...(await storedTargets()).keys()].sort()).toEqual(['c1', 'c2', 'c3']);
    // A scheduler starting afresh fills chunks in id order: c2 and c3 swap chunks, their targets stay.
    await scheduler.close();
    const next = startScheduler({ slotChunkSize: 1, resyncEveryMs: 3_600_000 });
    const moved = await next.reconcile(true);
    expect(moved?.membersWritten).toBe(4);
    expect(moved?.targetsWritten).toBe(0);
    expect((await slotsOfChecks('alpha')).get('c3')).toBe(chunksAfter.get('c2'));
  });

  it('writes only the chunks one changed check leaves and joins, at each vantage, not its whole slot', async () => {
    const fast = (id: string, overrides: Partial<CheckCommon> = {}) =>
      check(id, { intervalMs: 2_000, timeoutMs: 900, ...overrides });
    await registry.putMany(Array.from({ length: 30 }, (_, i) => fast(`c${i}`)));
    const scheduler = startScheduler({ slotChunkSize: 3, resyncEveryMs: 3_600_000 });
    await scheduler.start();
    const slots = (await schedulers('alpha')).length;
    expect(slots).toBeGreaterThanOrEqual(10);

    await registry.put(fast('c7', { timeoutMs: 800 }));
    const edited = await scheduler.reconcile();
    expect(edited).toMatchObject({ membersWritten: 2, targetsWritten: 2, upserted: 0, removed: 0 });
    await registry.put(fast('new'));
    expect((await scheduler.reconcile())?.membersWritten).toBe(2);
    await registry.setPaused('c3', true);
    const paused = await scheduler.reconcile();
    expect((paused?.membersWritten ?? 0) + (paused?.removed ?? 0)).toBe(2);
    expect(paused?.targetsWritten).toBe(2);
    await registry.put(fast('c4', { intervalMs: 3_000 }));
    const moved = await scheduler.reconcile();
    expect((moved?.membersWritten ?? 0) + (moved?.removed ?? 0)).toBe(4);

    const ids = ['new', ...Array.from({ length: 30 }, (_, i) => `c${i}`).filter((id) => id !== 'c3')].sort();
    for (const vantage of VANTAGES) expect([...(await slotsOfChecks(vantage)).keys()].sort()).toEqual(ids);
    expect((await storedTargets()).get('c7')?.timeoutMs).toBe(800);
    expect((await storedTargets()).has('c3')).toBe(false);
    // What was written change by change is what a thorough reconcile finds.
    expect(await scheduler.reconcile(true)).toMatchObject({ membersWritten: 0, targetsWritten: 0, upserted: 0 });
  });

  it('follows pause, delete and interval changes without a restart', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    await startScheduler().start();

    await registry.setPaused('api', true);
    await registry.delete('web');
    await eventually(async () => (await schedulers('alpha')).length === 0, 5_000, 'schedulers removed');
    expect(await queue('alpha').getDelayedCount()).toBe(0);
    await eventually(async () => (await storedTargets()).size === 0, 5_000, 'targets removed');

    await registry.setPaused('api', false);
    await registry.put({ ...check('api'), intervalMs: 60_000 });
    const every = await eventually(
      async () => {
        const [s] = await schedulers('beta');
        return s?.every === 60_000 ? s.every : undefined;
      },
      5_000,
      'interval change applied',
    );
    expect(every).toBe(60_000);
    expect(await queue('beta').getDelayedCount()).toBe(1);
    await eventually(
      async () => (await storedTargets()).get('api')?.intervalMs === 60_000,
      5_000,
      'the changed target stored',
    );
  });

  it('writes only the targets whose revision changed, and restores a target lost from the store', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    const scheduler = startScheduler({ resyncEveryMs: 3_600_000 });
    await scheduler.start();
    expect((await scheduler.reconcile())?.targetsWritten).toBe(0);

    await registry.put({ ...check('api'), timeoutMs: 5_000 });
    const report = await scheduler.reconcile();
    expect(report?.targetsWritten).toBe(2);
    expect((await storedTargets()).get('api')?.timeoutMs).toBe(5_000);

    // What a check deleted and made again between two reconciles leaves: slots naming a target the
    // store lost (the create forgets the id's data). The next reconcile, thorough or not, restores it.
    await ctx.redis.hdel(ctx.keys.probeTargets('alpha', 0), 'web');
    expect((await scheduler.reconcile())?.targetsWritten).toBe(1);
    expect([...(await storedTargets()).keys()].sort()).toEqual(['api', 'web']);
    // And one no slot names goes.
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'gone', '{}');
    expect((await scheduler.reconcile())?.targetsWritten).toBe(1);
    expect([...(await storedTargets()).keys()].sort()).toEqual(['api', 'web']);
  });

  it('rewrites a stored target at another revision than its slots name at the next thorough reconcile', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    const scheduler = startScheduler({ resyncEveryMs: 3_600_000 });
    await scheduler.start();
    const current = (await storedTargets()).get('api');
    // What a scheduler that lost its lease leaves: a write from its stale snapshot after the leader's.
    const stale = JSON.stringify({ ...current, timeoutMs: 1_234 });
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'api', stale);
    // A thorough reconcile verifies up to 10,000 stored values a vantage: here, every one.
    expect((await scheduler.reconcile())?.targetsWritten).toBe(0);
    expect((await scheduler.reconcile(true))?.targetsWritten).toBe(1);
    expect((await storedTargets()).get('api')).toEqual(current);
  });

  it('reads targets stored in the forms before (base64url, JSON) and rewrites them as bytes at the next thorough reconcile', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    const scheduler = startScheduler({ resyncEveryMs: 3_600_000 });
    await scheduler.start();
    const current = await storedTargets();
    const key = ctx.keys.probeTargets('alpha', 0);
    // As the releases before wrote them: `z` and base64url, and plain JSON.
    await ctx.redis.hset(key, 'api', encodeStoredTargetText(JSON.stringify(current.get('api'))));
    await ctx.redis.hset(key, 'web', JSON.stringify(current.get('web')));
    expect(await storedTargets()).toEqual(current);
    // Still read as the same revision: a reconcile that is not thorough leaves them.
    expect((await scheduler.reconcile())?.targetsWritten).toBe(0);
    expect((await scheduler.reconcile(true))?.targetsWritten).toBe(2);
    for (const id of ['api', 'web']) expect((await ctx.redis.hgetBuffer(key, id))?.[0], id).toBe(0x01);
    expect(await storedTargets()).toEqual(current);
  });

  it('two schedulers at once keep exactly one scheduler and one pending job per slot × vantage', async () => {
    const all = Array.from({ length: 20 }, (_, i) => check(`c${i}`));
    for (const c of all) await registry.put(c);
    const a = startScheduler();
    const b = startScheduler();
    await Promise.all([a.start(), b.start()]);
    // Whoever does not hold the lease does nothing; force both to try again at once anyway.
    await Promise.all([a.reconcile(true), b.reconcile(true), a.reconcile(true), b.reconcile(true)]);
    const slots = [...desiredSchedulers(all, VANTAGES).values()];
    for (const vantage of VANTAGES) {
      const expected = slots.filter((slot) => slot.vantage === vantage).length;
      expect(await schedulers(vantage)).toHaveLength(expected);
      expect(await queue(vantage).getDelayedCount()).toBe(expected);
      expect((await slotsOfChecks(vantage)).size).toBe(20);
    }
  });

  it('probes a check stored with a vantage listed twice (before that was refused) once from it, its counts kept right', async () => {
    // Written raw, as a release that let `vantages: [alpha, alpha]` through stored it.
    await ctx.redis.hset(ctx.keys.checks, 'twice', JSON.stringify(check('twice', { vantages: ['alpha', 'alpha'] })));
    await registry.put(check('api'));
    const context = createSchedulerContext(ctx.peer(), { vantages: VANTAGES });
    const scheduler = new Scheduler(context, { leaseMs: 3_000, resyncEveryMs: 3_600_000 });
    closers.push(() => scheduler.close());
    await scheduler.start();
    expect([...(await slotsOfChecks('alpha')).keys()].sort()).toEqual(['api', 'twice']);
    expect([...(await slotsOfChecks('beta')).keys()]).toEqual(['api']);
    expect([...(await storedTargets()).keys()].sort()).toEqual(['api', 'twice']);
    // The plan counts one target a shard holds once: a reconcile finds the counts agree and reads no shard's ids.
    const walked = vi.spyOn(context.redis, 'hkeys');
    expect((await scheduler.reconcile())?.targetsWritten).toBe(0);
    expect(walked.mock.calls.map(([key]) => String(key))).not.toContain(ctx.keys.probeTargets('alpha', 0));
  });

  it('hands over when the leader stops, and re-creates schedulers lost from Redis', async () => {
    await registry.put(check('api'));
    const first = startScheduler();
    await first.start();
    const second = startScheduler();
    await second.start();
    expect(await second.reconcile()).toBeUndefined();
    await first.close();
    const [lost] = await schedulers('alpha');
    await queue('alpha').removeJobScheduler(lost?.id ?? '');
    const report = await eventually(() => second.reconcile(true), 5_000, 'the second scheduler to lead');
    expect(report.upserted + report.unchanged).toBeGreaterThan(0);
    await eventually(async () => (await schedulers('alpha')).length === 1, 5_000, 'scheduler restored');
  });

  it('restores the members of a slot lost from Redis at a thorough reconcile, and only then', async () => {
    await registry.put(check('api'));
    const scheduler = startScheduler();
    await scheduler.start();
    const [slot] = await schedulers('alpha');
    const slotId = slot?.id ?? '';
    expect(await membersOf('alpha', slotId)).toEqual(['api']);
    await ctx.redis.del(ctx.keys.slot('alpha', slotId));
    expect((await scheduler.reconcile())?.membersWritten).toBe(0);
    const report = await scheduler.reconcile(true);
    expect(report?.membersWritten).toBe(1);
    expect(await membersOf('alpha', slotId)).toEqual(['api']);
  });

  it('reuses its slots while the registry version stands still, and reads the registry again once it moves', async () => {
    await registry.put(check('api'));
    const scheduler = startScheduler({ resyncEveryMs: 3_600_000 });
    await scheduler.start();
    // Written behind the registry's back: no announcement, no version step.
    await ctx.redis.hset(ctx.keys.checks, 'quiet', JSON.stringify(check('quiet')));
    expect((await scheduler.reconcile(true))?.membersWritten).toBe(0);
    expect([...(await slotsOfChecks('alpha')).keys()]).toEqual(['api']);
    // A lost scheduler is still restored from the slots it keeps.
    const [lost] = await schedulers('alpha');
    await queue('alpha').removeJobScheduler(lost?.id ?? '');
    expect((await scheduler.reconcile(true))?.upserted).toBe(1);
    // Any change the version counts: the next reconcile reads every check again.
    await ctx.redis.incr(ctx.keys.checksVersion);
    expect((await scheduler.reconcile())?.membersWritten).toBeGreaterThan(0);
    expect([...(await slotsOfChecks('alpha')).keys()].sort()).toEqual(['api', 'quiet']);
  });

  it('counts a change announced while it reads the registry once, so a later lost announcement is still found', async () => {
    // Enough checks that one announced is read alone, not with the whole registry again.
    const fleet = Array.from({ length: 12 }, (_, i) => check(`api${i}`));
    await registry.putMany(fleet);
    const context = createSchedulerContext(ctx.peer(), { vantages: VANTAGES });
    // A change lands while the scheduler reads the registry's version: counted in that version and
    // announced too. Counting it twice would hide the lost announcement below.
    const version = context.checks.version.bind(context.checks);
    let during = true;
    context.checks.version = async () => {
      if (during) {
        during = false;
        await registry.put(check('during'));
      }
      return version();
    };
    const scheduler = new Scheduler(context, { leaseMs: 3_000, resyncEveryMs: 3_600_000 });
    closers.push(() => scheduler.close());
    await scheduler.start();
    await eventually(async () => (await slotsOfChecks('alpha')).has('during'), 5_000, 'the change made meanwhile');
    await sleep(300); // every announcement heard and synced
    // Lost: written and counted, never announced (a subscriber reconnecting misses it).
    await ctx.redis.hset(ctx.keys.checks, 'quiet', JSON.stringify(check('quiet')));
    await ctx.redis.incr(ctx.keys.checksVersion);
    await scheduler.reconcile();
    expect([...(await slotsOfChecks('alpha')).keys()].sort()).toEqual(
      [...fleet.map((c) => c.id), 'during', 'quiet'].sort(),
    );
  });

  it('moves a Redis holding per-check schedulers (an older version) to slots when it starts', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    // The old layout: one job scheduler per check × vantage, each with its next probe job.
    for (const vantage of VANTAGES)
      for (const id of ['api', 'web']) {
        const old = await registry.get(id);
        if (!old) throw new Error('fixture missing');
        await queue(vantage).upsertJobScheduler(
          `${id}@${vantage}`,
          { every: 30_000, offset: roundOffset(id, 30_000) },
          { name: 'probe', data: { check: toProbeTarget(old), vantage }, opts: { removeOnComplete: true } },
        );
        await ctx.redis.hset(ctx.keys.schedulersApplied, `${id}@${vantage}`, 'old-fingerprint');
      }
    expect(await queue('alpha').getDelayedCount()).toBe(2);

    await startScheduler().start();
    for (const vantage of VANTAGES) {
      const ids = (await schedulers(vantage)).map((s) => s.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((id) => id.startsWith('slot.'))).toBe(true);
      expect([...(await slotsOfChecks(vantage)).keys()].sort()).toEqual(['api', 'web']);
      const delayed = await queue(vantage).getDelayed();
      expect(delayed.map((job) => job.name)).toEqual(ids.map(() => 'slot'));
    }
    const applied = Object.keys(await ctx.redis.hgetall(ctx.keys.schedulersApplied));
    expect(applied.every((id) => id.startsWith('slot.'))).toBe(true);
  });

  it('moves slots kept in two hashes (an older version) to one string a slot when it starts', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    const all = [await registry.get('api'), await registry.get('web')].flatMap((c) => (c ? [c] : []));
    // The layout before: the slots' schedulers applied, their members and targets in two hashes.
    for (const slot of desiredSchedulers(all, VANTAGES).values()) {
      await queue(slot.vantage).upsertJobScheduler(
        slot.id,
        { every: slot.every, offset: slot.offset },
        { name: 'slot', data: slot.data, opts: { removeOnComplete: true } },
      );
      await ctx.redis.hset(ctx.keys.slotMembers(slot.vantage, slot.id), slot.members);
      await ctx.redis.hset(ctx.keys.slotTargets(slot.vantage, slot.id), slot.targets);
      const oldMembersFingerprint = createHash('sha1').update(JSON.stringify(slot.members)).digest('base64url');
      await ctx.redis.hset(ctx.keys.schedulersApplied, slot.id, `${slot.fingerprint}|${oldMembersFingerprint}`);
    }

    await startScheduler().start();
    for (const vantage of VANTAGES) {
      expect([...(await slotsOfChecks(vantage)).keys()].sort()).toEqual(['api', 'web']);
      for (const { id } of await schedulers(vantage)) {
        expect(await ctx.redis.exists(ctx.keys.slotMembers(vantage, id), ctx.keys.slotTargets(vantage, id))).toBe(0);
      }
    }
  });

  it('moves slots kept in one string with their targets inline (the version before) to members and one target store', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    const all = [await registry.get('api'), await registry.get('web')].flatMap((c) => (c ? [c] : []));
    // The layout before: each slot's string held its members' targets' JSON, a line each.
    for (const slot of desiredSchedulers(all, VANTAGES).values()) {
      await queue(slot.vantage).upsertJobScheduler(
        slot.id,
        { every: slot.every, offset: slot.offset },
        { name: 'slot', data: slot.data, opts: { removeOnComplete: true } },
      );
      const oldMembersFingerprint = createHash('sha1').update(JSON.stringify(slot.members)).digest('base64url');
      await ctx.redis.set(
        ctx.keys.slot(slot.vantage, slot.id),
        encodeSlotTargets(oldMembersFingerprint, Object.values(slot.targets)),
      );
      await ctx.redis.hset(ctx.keys.schedulersApplied, slot.id, `${slot.fingerprint}|${oldMembersFingerprint}`);
    }

    const report = await startScheduler().reconcile(true);
    expect(report?.membersWritten).toBe(desiredSchedulers(all, VANTAGES).size);
    expect(report?.targetsWritten).toBe(4);
    for (const vantage of VANTAGES) {
      expect([...(await slotsOfChecks(vantage)).keys()].sort()).toEqual(['api', 'web']);
      for (const { id } of await schedulers(vantage))
        expect(decodeSlot((await ctx.redis.get(ctx.keys.slot(vantage, id))) ?? '').lines).toEqual([]);
    }
    expect(await storedTargets()).toEqual(new Map(all.map((c) => [c.id, toProbeTarget(c)])));
  });
});
