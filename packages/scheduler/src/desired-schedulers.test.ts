import { type Check, type CheckCommon, parseConfig } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { desiredSchedulers } from './desired-schedulers.js';
import { SLOT_WIDTH_MS, slotOffset } from './offset.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];

const template = (() => {
  const [parsed] = parseConfig(
    `vantages: [alpha, beta, gamma]\nchecks: [{ id: t, interval: 30s, tcp: { host: example.com, port: 443 } }]`,
  ).checks;
  if (!parsed) throw new Error('fixture did not parse');
  return parsed;
})();

function checks(count: number, overrides: Partial<CheckCommon> = {}, stem = 'c'): Check[] {
  return Array.from({ length: count }, (_, i) => ({ ...template, id: `${stem}${i}`, ...overrides }));
}

/** vantage → check id → the slot scheduler that probes it. */
function slotsOfChecks(desired: ReturnType<typeof desiredSchedulers>): Map<string, Map<string, string>> {
  const found = new Map<string, Map<string, string>>();
  for (const slot of desired.values()) {
    const ofVantage = found.get(slot.vantage) ?? new Map<string, string>();
    found.set(slot.vantage, ofVantage);
    for (const id of Object.keys(slot.members)) {
      expect(ofVantage.has(id), `${id} in two slots of ${slot.vantage}`).toBe(false);
      ofVantage.set(id, slot.id);
    }
  }
  return found;
}

describe('desiredSchedulers: slots', () => {
  it('needs as many schedulers for 4,000 checks as for 2,000: the count follows slots, not checks', () => {
    const small = desiredSchedulers(checks(2_000), VANTAGES);
    const large = desiredSchedulers(checks(4_000), VANTAGES);
    // 30 one-second slots in a 30 s interval, × 3 vantages; no slot is over its chunk size here.
    expect(small.size).toBe(30 * VANTAGES.length);
    expect(large.size).toBe(small.size);
  });

  it('probes every check exactly once per vantage, each from the slot of its own offset', () => {
    const all = [
      ...checks(500),
      ...checks(300, { intervalMs: 60_000 }, 'm'),
      ...checks(5, { vantages: ['beta'] }, 'b'),
    ];
    const desired = desiredSchedulers(all, VANTAGES);
    const found = slotsOfChecks(desired);
    expect(found.get('alpha')?.size).toBe(800);
    expect(found.get('beta')?.size).toBe(805);
    for (const slot of desired.values()) {
      expect(slot.data).toEqual({ slot: slot.id, vantage: slot.vantage, intervalMs: slot.every });
      for (const id of Object.keys(slot.members)) expect(slotOffset(id, slot.every)).toBe(slot.offset);
    }
  });

  it('puts a check on the same round at every vantage, within the second of its own offset', () => {
    const desired = desiredSchedulers(checks(50), VANTAGES);
    const found = slotsOfChecks(desired);
    for (let i = 0; i < 50; i++) {
      const timing = VANTAGES.map((v) => {
        const slot = desired.get(found.get(v)?.get(`c${i}`) ?? '');
        return `${slot?.every}/${slot?.offset}`;
      });
      expect(new Set(timing).size).toBe(1);
    }
    expect(slotOffset('c1', 30_000)).toBeGreaterThan(0);
    expect(slotOffset('c1', 30_000) % SLOT_WIDTH_MS === 0 || slotOffset('c1', 30_000) === 1).toBe(true);
  });

  it('spreads the load: the busiest second holds less than 1.5× the mean', () => {
    const all = [...checks(10_000), ...checks(5_000, { intervalMs: 60_000 }, 'm')];
    const perSecond = new Array<number>(60).fill(0);
    for (const slot of desiredSchedulers(all, ['alpha']).values()) {
      const size = Object.keys(slot.members).length;
      for (let round = slot.offset; round < 60_000; round += slot.every)
        perSecond[Math.floor(round / 1_000)] = (perSecond[Math.floor(round / 1_000)] ?? 0) + size;
    }
    const mean = perSecond.reduce((sum, n) => sum + n, 0) / perSecond.length;
    expect(mean).toBeCloseTo((2 * 10_000 + 5_000) / 60, 5);
    expect(Math.max(...perSecond)).toBeLessThan(1.5 * mean);
  });

  it('splits a large slot into chunks of at most the chunk size', () => {
    const desired = desiredSchedulers(checks(1_000, { intervalMs: 1_000 }), ['alpha'], 200);
    expect(desired.size).toBe(5);
    for (const slot of desired.values()) expect(Object.keys(slot.members)).toHaveLength(200);
    expect(slotsOfChecks(desired).get('alpha')?.size).toBe(1_000);
  });

  it('is stable: the same checks in another order give the same slots; a change touches only its members', () => {
    const all = checks(300);
    const before = desiredSchedulers(all, VANTAGES);
    expect(desiredSchedulers([...all].reverse(), VANTAGES)).toEqual(before);

    const changed = all.map((c) => (c.id === 'c7' ? { ...c, timeoutMs: c.timeoutMs + 1 } : c));
    const after = desiredSchedulers(changed, VANTAGES);
    for (const [id, slot] of after) {
      const old = before.get(id);
      expect(slot.fingerprint).toBe(old?.fingerprint);
      expect(slot.membersFingerprint === old?.membersFingerprint).toBe(!('c7' in slot.members));
    }
  });

  it('leaves paused checks out, and empty slots have no scheduler', () => {
    expect(desiredSchedulers(checks(10, { paused: true }), VANTAGES).size).toBe(0);
    expect(desiredSchedulers(checks(10, { vantages: ['nowhere'] }), VANTAGES).size).toBe(0);
  });
});

describe('desiredSchedulers: kinds nothing probes', () => {
  it('gives a heartbeat check no slot on any vantage, and its probed neighbours theirs', () => {
    const [heartbeat] = parseConfig(
      `vantages: [alpha, beta, gamma]\nchecks: [{ id: hb, heartbeat: { grace: 2m } }]`,
    ).checks;
    if (!heartbeat) throw new Error('fixture did not parse');
    const found = slotsOfChecks(desiredSchedulers([heartbeat, ...checks(3)], VANTAGES));
    for (const vantage of VANTAGES) {
      expect(found.get(vantage)?.has('hb')).toBe(false);
      expect(found.get(vantage)?.size).toBe(3);
    }
  });
});
