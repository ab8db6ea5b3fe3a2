import { type ProbeTarget, parseConfig, toProbeTarget } from '@vigil/core';
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

  async function write(entries: Record<string, { fingerprint: string; target: ProbeTarget }>): Promise<void> {
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

  it("reads a check's target once per fingerprint, and again when the fingerprint changes", async () => {
    await write({
      api: { fingerprint: 'f1', target: target('api') },
      web: { fingerprint: 'w1', target: target('web') },
    });
    expect((await members.targets(slot, 0)).map((t) => t.id).sort()).toEqual(['api', 'web']);

    // Same fingerprint, other JSON: the cached target stands (the JSON is not read again).
    await write({
      api: { fingerprint: 'f1', target: target('api', 8443) },
      web: { fingerprint: 'w1', target: target('web') },
    });
    expect((await members.targets(slot, 1)).find((t) => t.id === 'api')?.tcp?.port).toBe(443);

    // A new fingerprint: read again.
    await write({
      api: { fingerprint: 'f2', target: target('api', 8443) },
      web: { fingerprint: 'w1', target: target('web') },
    });
    expect((await members.targets(slot, 2)).find((t) => t.id === 'api')?.tcp?.port).toBe(8443);
  });

  it('follows members leaving, and forgets checks not seen for two intervals', async () => {
    await write({
      api: { fingerprint: 'f1', target: target('api') },
      web: { fingerprint: 'w1', target: target('web') },
    });
    await members.targets(slot, 0);
    await write({ api: { fingerprint: 'f1', target: target('api') } });
    expect((await members.targets(slot, 10_000)).map((t) => t.id)).toEqual(['api']);
    expect(members.size).toBe(2);
    members.sweep(10_000 + 60_001);
    expect(members.size).toBe(0);
    expect(await members.targets('slot.30000.2000.0@alpha', 0)).toEqual([]);
  });
});
