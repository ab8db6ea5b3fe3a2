import { deflateRawSync } from 'node:zlib';
import {
  encodeSlotMembers,
  encodeSlotTargets,
  encodeStoredTarget,
  encodeStoredTargetText,
  type ProbeTarget,
  parseConfig,
  type RedisKeys,
  redisKeys,
  targetRevision,
  toProbeTarget,
} from '@vigil/core';
import { type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlotMembers } from './slot-members.js';

function target(id: string, port = 443): ProbeTarget {
  const [check] = parseConfig(
    `vantages: [alpha]\nchecks: [{ id: ${id}, interval: 30s, tcp: { host: example.com, port: ${port} } }]`,
  ).checks;
  if (!check) throw new Error('fixture did not parse');
  return toProbeTarget(check);
}

describe('SlotMembers', () => {
  let ctx: TestContext;
  let members: SlotMembers;
  const slot = 'slot.30000.1000.0@alpha';

  /**
   * The slot as the scheduler writes it: the targets in the store (unless `store` is false), then
   * one string, the members' fingerprint first, a check id and target revision a line.
   */
  async function write(
    fingerprint: string,
    targets: ProbeTarget[],
    { store = true, keys = ctx.keys }: { store?: boolean; keys?: RedisKeys } = {},
  ): Promise<void> {
    if (store)
      for (const t of targets)
        await ctx.redis.hset(
          keys.probeTargets('alpha', keys.shardOf(t.id)),
          t.id,
          encodeStoredTarget(JSON.stringify(t)),
        );
    const members = targets.map((t) => ({ id: t.id, revision: targetRevision(JSON.stringify(t)) }));
    await ctx.redis.set(keys.slot('alpha', slot), encodeSlotMembers(fingerprint.padEnd(27, '-'), members));
  }

  /** The slot as the scheduler before wrote it: one string, each target's JSON a line. */
  async function writeInline(fingerprint: string, targets: ProbeTarget[]): Promise<void> {
    const text = encodeSlotTargets(
      fingerprint.padEnd(27, '-'),
      targets.map((t) => JSON.stringify(t)),
    );
    await ctx.redis.set(ctx.keys.slot('alpha', slot), text);
  }

  /** The slot as schedulers before one string a slot wrote it: two hashes. */
  async function writeHashes(entries: Record<string, { fingerprint: string; target: ProbeTarget }>): Promise<void> {
    const membersKey = ctx.keys.slotMembers('alpha', slot);
    const targetsKey = ctx.keys.slotTargets('alpha', slot);
    const multi = ctx.redis.multi().del(membersKey, targetsKey);
    for (const [id, entry] of Object.entries(entries))
      multi.hset(membersKey, id, entry.fingerprint).hset(targetsKey, id, JSON.stringify(entry.target));
    await multi.exec();
  }

  beforeEach(async () => {
    ctx = await testContext('slot-members');
    members = new SlotMembers({ redis: ctx.redis, keys: ctx.keys, vantage: 'alpha' });
  });
  afterEach(() => ctx.cleanup());

  it("reads a slot's members once per fingerprint, and only the targets whose revision changed", async () => {
    await write('m1', [target('api'), target('web')]);
    expect((await members.targets(slot, 0)).map((t) => t.id).sort()).toEqual(['api', 'web']);

    // Same fingerprint, other targets stored: the cached targets stand (nothing is read again).
    await write('m1', [target('api', 8443), target('web', 8443)]);
    expect((await members.targets(slot, 1)).map((t) => t.tcp?.port)).toEqual([443, 443]);

    // A new fingerprint, api's revision changed: api is read again, web (same revision) is not,
    // so its store entry lost meanwhile goes unnoticed.
    await ctx.redis.hdel(ctx.keys.probeTargets('alpha', 0), 'web');
    await write('m2', [target('api', 8443), target('web')], { store: false });
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'api', JSON.stringify(target('api', 8443)));
    const targets = await members.targets(slot, 2);
    expect(targets.map((t) => [t.id, t.tcp?.port])).toEqual([
      ['api', 8443],
      ['web', 443],
    ]);
  });

  it('skips a member whose target is not stored yet, and reads it the round it is', async () => {
    await write('m1', [target('api'), target('web')], { store: false });
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'api', JSON.stringify(target('api')));
    expect((await members.targets(slot, 0)).map((t) => t.id)).toEqual(['api']);
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'web', JSON.stringify(target('web')));
    expect((await members.targets(slot, 1)).map((t) => t.id)).toEqual(['api', 'web']);
  });

  it('probes a target stored at a newer revision than its slot names as stored, until the slot names it', async () => {
    // The scheduler writes the target first, then the slot: a prober new to the slot may read in between.
    await write('m1', [target('api')], { store: false });
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'api', JSON.stringify(target('api', 8443)));
    expect((await members.targets(slot, 0)).map((t) => t.tcp?.port)).toEqual([8443]);
    expect((await members.targets(slot, 1)).map((t) => t.tcp?.port)).toEqual([8443]);
    await write('m2', [target('api', 8443)], { store: false });
    expect((await members.targets(slot, 2)).map((t) => t.tcp?.port)).toEqual([8443]);
  });

  it('never caches a target stored at another revision under the revision its slot names (an edit reverted)', async () => {
    // Edited A → B: the store has B while the slot still names A; the prober probes B meanwhile.
    await write('m1', [target('api')], { store: false });
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'api', JSON.stringify(target('api', 8443)));
    expect((await members.targets(slot, 0)).map((t) => t.tcp?.port)).toEqual([8443]);
    await write('m2', [target('api', 8443)]);
    expect((await members.targets(slot, 1)).map((t) => t.tcp?.port)).toEqual([8443]);
    // Reverted to A: the slot names A again, and A is what is probed.
    await write('m3', [target('api')]);
    expect((await members.targets(slot, 2)).map((t) => t.tcp?.port)).toEqual([443]);
  });

  it('skips only the check whose stored value does not decode, inflates past 64 KiB or parse, telling its id', async () => {
    const unreadable: string[] = [];
    const reader = new SlotMembers({
      redis: ctx.redis,
      keys: ctx.keys,
      vantage: 'alpha',
      onUnreadable: (id) => unreadable.push(id),
    });
    const ids = ['api', 'web', 'db', 'cdn', 'bin-garbage', 'bin-big', 'bin-cut', 'bin-number', 'empty'];
    await write(
      'm1',
      ids.map((id) => target(id)),
    );
    // Valid JSON of a target, but deflated from 200 KB: never inflated whole.
    const big = JSON.stringify({ ...target('web'), padding: 'x'.repeat(200_000) });
    const bytes = (...parts: Buffer[]) => Buffer.concat([Buffer.of(0x01), ...parts]);
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), {
      api: '{not json',
      web: `z${deflateRawSync(big).toString('base64url')}`,
      db: 'z!!!',
      // The form written now (byte 0x01, then deflated bytes), corrupt or hostile.
      'bin-garbage': bytes(Buffer.from('not deflate at all')),
      'bin-big': bytes(deflateRawSync(big)),
      'bin-cut': encodeStoredTarget(JSON.stringify(target('bin-cut'))).subarray(0, 12),
      'bin-number': encodeStoredTarget('42'),
      empty: '',
    });
    expect((await reader.targets(slot, 0)).map((t) => t.id)).toEqual(['cdn']);
    expect(unreadable.sort()).toEqual(ids.filter((id) => id !== 'cdn').sort());
  });

  it('reads targets stored in every form: bytes, and base64url and plain JSON as releases before wrote them', async () => {
    await write('m1', [target('api'), target('web'), target('db')], { store: false });
    const key = ctx.keys.probeTargets('alpha', 0);
    await ctx.redis.hset(key, {
      api: encodeStoredTarget(JSON.stringify(target('api'))),
      web: encodeStoredTargetText(JSON.stringify(target('web'))),
      db: JSON.stringify(target('db')),
    });
    expect((await ctx.redis.hgetBuffer(key, 'api'))?.[0]).toBe(0x01);
    expect(await ctx.redis.hget(key, 'web')).toMatch(/^z[A-Za-z0-9_-]+$/);
    expect(await members.targets(slot, 0)).toEqual([target('api'), target('web'), target('db')]);
  });

  it('reads targets from every shard of a sharded layout', async () => {
    const keys = redisKeys(ctx.prefix, { shards: 4 });
    const sharded = new SlotMembers({ redis: ctx.redis, keys, vantage: 'alpha' });
    const ids = ['api', 'web', 'db', 'cdn', 'mail', 'dns'];
    expect(new Set(ids.map((id) => keys.shardOf(id))).size).toBeGreaterThan(1);
    await write(
      'm1',
      ids.map((id) => target(id)),
      { keys },
    );
    expect((await sharded.targets(slot, 0)).map((t) => t.id)).toEqual(ids);
  });

  it('reads a slot string of the layout before (targets inline) once per fingerprint, and again when it changes', async () => {
    await writeInline('m1', [target('api'), target('web')]);
    expect((await members.targets(slot, 0)).map((t) => t.id).sort()).toEqual(['api', 'web']);

    // Same fingerprint, other JSON: the cached targets stand (the JSON is not read again).
    await writeInline('m1', [target('api', 8443), target('web')]);
    expect((await members.targets(slot, 1)).find((t) => t.id === 'api')?.tcp?.port).toBe(443);

    // A new fingerprint: read again.
    await writeInline('m2', [target('api', 8443), target('web')]);
    const targets = await members.targets(slot, 2);
    expect(targets.find((t) => t.id === 'api')?.tcp?.port).toBe(8443);
    expect(targets.map((t) => t.id).sort()).toEqual(['api', 'web']);
    // The scheduler's rewrite in the new layout is what counts from then on.
    await write('m3', [target('web', 8443)]);
    expect((await members.targets(slot, 3)).map((t) => [t.id, t.tcp?.port])).toEqual([['web', 8443]]);
  });

  it('follows members leaving, and forgets checks not seen for two intervals', async () => {
    await write('m1', [target('api'), target('web')]);
    await members.targets(slot, 0);
    await write('m2', [target('api')]);
    expect((await members.targets(slot, 10_000)).map((t) => t.id)).toEqual(['api']);
    expect(members.size).toBe(2);
    members.sweep(10_000 + 60_001);
    expect(members.size).toBe(0);
    expect(await members.targets('slot.30000.2000.0@alpha', 0)).toEqual([]);
  });

  it('reads a slot kept in the two hashes of the layout before until the scheduler writes its string', async () => {
    await writeHashes({
      api: { fingerprint: 'f1', target: target('api') },
      web: { fingerprint: 'w1', target: target('web') },
    });
    expect((await members.targets(slot, 0)).map((t) => t.id).sort()).toEqual(['api', 'web']);
    // Same fingerprint, other JSON: the cached target stands.
    await writeHashes({
      api: { fingerprint: 'f1', target: target('api', 8443) },
      web: { fingerprint: 'w1', target: target('web') },
    });
    expect((await members.targets(slot, 1)).find((t) => t.id === 'api')?.tcp?.port).toBe(443);
    await writeHashes({ api: { fingerprint: 'f2', target: target('api', 8443) } });
    expect((await members.targets(slot, 2)).map((t) => [t.id, t.tcp?.port])).toEqual([['api', 8443]]);
    // The scheduler's string, once written, is what counts.
    await write('m1', [target('web')]);
    expect((await members.targets(slot, 3)).map((t) => t.id)).toEqual(['web']);
  });
});
