import { type Check, type CheckCommon, parseConfig } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { desiredSchedulers } from './desired-schedulers.js';
import { SlotPlan, type SlotPlanOptions } from './slot-plan.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const OPTIONS: SlotPlanOptions = { vantages: VANTAGES, chunkSize: 100, shards: 1, shardOf: () => 0 };

const template = (() => {
  const [parsed] = parseConfig(
    `vantages: [alpha, beta, gamma]\nchecks: [{ id: t, interval: 5s, timeout: 2s, tcp: { host: example.com, port: 443 } }]`,
  ).checks;
  if (!parsed) throw new Error('fixture did not parse');
  return parsed;
})();

function checks(count: number, overrides: Partial<CheckCommon> = {}, stem = 'c'): Check[] {
  return Array.from({ length: count }, (_, i) => ({ ...template, id: `${stem}${i}`, ...overrides }));
}

/** slot id → its members fingerprint, what Redis would be made to hold. */
function heads(plan: SlotPlan): Map<string, string> {
  return new Map([...plan.heads()].map((head) => [head.id, head.membersFingerprint]));
}

/** The slot ids whose members differ between two states. */
function differing(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((id) => a.get(id) !== b.get(id)).sort();
}

describe('SlotPlan', () => {
  // 2,000 checks in 5 one-second slots: 400 a slot, 4 chunks of 100 a slot and vantage.
  const all = checks(2_000);

  it('built afresh, holds the slots the full computation gives', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    const full = desiredSchedulers(all, VANTAGES, 100);
    expect(plan.size).toBe(full.size);
    expect(heads(plan)).toEqual(new Map([...full.values()].map((slot) => [slot.id, slot.membersFingerprint])));
    for (const slot of full.values()) expect(plan.get(slot.id)).toEqual(slot);
    expect(plan.shardCounts('alpha')).toEqual([2_000]);
  });

  it('touches the chunk of an edited check at each vantage, and no other', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    const before = heads(plan);
    const edited = { ...template, id: 'c77', timeoutMs: 1_234 };
    const touched = plan.set('c77', plan.toPlanned(edited));
    expect(touched.size).toBe(3);
    expect(differing(before, heads(plan))).toEqual([...touched].sort());
    for (const id of touched) expect(plan.get(id)?.targets.c77).toContain('"timeoutMs":1234');
  });

  it('adds a check to one chunk a vantage, and deletes or pauses it from that chunk alone', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    const before = heads(plan);
    const added = plan.set('new', plan.toPlanned({ ...template, id: 'new' }));
    expect(added.size).toBe(3);
    const withNew = heads(plan);
    expect(differing(before, withNew)).toEqual([...added].sort());
    // The new check joins a chunk with room (or opens one) rather than shifting every chunk after it.
    const afresh = SlotPlan.build(all, OPTIONS);
    for (const id of added) {
      const members = Object.keys(plan.get(id)?.members ?? {});
      expect(members.filter((member) => member !== 'new')).toEqual(Object.keys(afresh.get(id)?.members ?? {}));
      expect(members).toContain('new');
    }

    expect(plan.set('new', plan.toPlanned({ ...template, id: 'new', paused: true }))).toEqual(added);
    expect(heads(plan)).toEqual(before);
    const deleted = plan.set('c5', undefined);
    expect(deleted.size).toBe(3);
    expect(differing(before, heads(plan))).toEqual([...deleted].sort());
    expect(plan.shardCounts('beta')).toEqual([1_999]);
  });

  it('moves a check whose interval or vantages change from its old chunk to a new one, per vantage', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    const before = heads(plan);
    const touched = plan.set('c9', plan.toPlanned({ ...template, id: 'c9', intervalMs: 60_000 }));
    expect(touched.size).toBe(6);
    expect(differing(before, heads(plan))).toEqual([...touched].sort());
    const narrowed = plan.set('c9', plan.toPlanned({ ...template, id: 'c9', intervalMs: 60_000, vantages: ['beta'] }));
    expect(narrowed.size).toBe(2);
    expect(plan.shardCounts('alpha')).toEqual([1_999]);
    expect(plan.shardCounts('beta')).toEqual([2_000]);
  });

  it('plans a check stored with a vantage listed twice (before that was refused) once at that vantage, and counts it once', () => {
    const twice = { ...template, id: 'twice', vantages: ['alpha', 'beta', 'alpha'] };
    const plan = SlotPlan.build([...checks(10), twice], OPTIONS);
    expect(plan.shardCounts('alpha')).toEqual([11]);
    expect(plan.shardCounts('gamma')).toEqual([10]);
    expect(plan.set('twice', undefined).size).toBe(2);
    expect(plan.shardCounts('alpha')).toEqual([10]);
  });

  it('rebuilt from the registry with the plan before, keeps every chunk as it was', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    plan.set('c10', undefined);
    plan.set('a-new', plan.toPlanned({ ...template, id: 'a-new' }));
    const now = [...all.filter((c) => c.id !== 'c10'), { ...template, id: 'a-new' }];
    expect(heads(SlotPlan.build(now, OPTIONS, plan))).toEqual(heads(plan));
    // Afresh, checks fill chunks in id order again.
    expect(heads(SlotPlan.build(now, OPTIONS))).not.toEqual(heads(plan));
  });

  it('keeps no chunk over its size when rebuilt with a smaller one', () => {
    const plan = SlotPlan.build(all, OPTIONS);
    const smaller = SlotPlan.build(all, { ...OPTIONS, chunkSize: 30 }, plan);
    let members = 0;
    for (const head of smaller.heads()) {
      const size = Object.keys(smaller.get(head.id)?.members ?? {}).length;
      expect(size).toBeLessThanOrEqual(30);
      members += size;
    }
    expect(members).toBe(2_000 * VANTAGES.length);
  });

  it('read page by page, a check a page names twice (HSCAN while the hash rehashes) is planned as its last copy', async () => {
    const pages = [checks(50).slice(0, 30), [...checks(50).slice(30), { ...template, id: 'c3', paused: true }]];
    const plan = await SlotPlan.read(async (visit) => {
      for (const page of pages) visit(page);
    }, OPTIONS);
    const expected = checks(50).filter((c) => c.id !== 'c3');
    expect(heads(plan)).toEqual(heads(SlotPlan.build(expected, OPTIONS)));
    expect(plan.checkCount).toBe(49);
  });
});
