import { describe, expect, it } from 'vitest';
import { PROBE_ERRORS } from '../probes/probe-result.js';
import { sampleResult, T0 } from '../testing/index.js';
import {
  decodeRingEntry,
  historyMessage,
  MESSAGE_CHARS,
  RING_ENTRY_BITS,
  type RingInfo,
  ringBytes,
  ringFields,
  ringFields70,
  ringOutcome,
} from './history-ring.js';

const ring: RingInfo = { base: T0, vantages: new Map([[1, 'alpha']]), messages: new Map() };

/** `value` as `width` bits at bit `bit` of `buf`, as BITFIELD SET u<width> writes it. */
function writeBits(buf: Buffer, bit: number, width: number, value: number): void {
  for (let i = 0; i < width; i++) {
    const on = Math.floor(value / 2 ** (width - 1 - i)) % 2 === 1;
    const at = bit + i;
    const mask = 0x80 >> (at % 8);
    buf[at >> 3] = on ? (buf[at >> 3] ?? 0) | mask : (buf[at >> 3] ?? 0) & ~mask;
  }
}

/** A whole entry as the record script writes it, at entry `slot` of a ring of three: vantage 1, no message slot. */
function decoded(result: ReturnType<typeof sampleResult>, slot = 1) {
  const buf = Buffer.alloc(ringBytes(3), 0xff);
  writeBits(buf, slot * RING_ENTRY_BITS, 40, (result.round - ring.base) * 128 + 1 * 8);
  writeBits(buf, slot * RING_ENTRY_BITS + 40, 32, ringOutcome(result));
  return decodeRingEntry(result.checkId, ringFields(buf, slot), 0, ring);
}

/** The same in a ring of 70-bit entries, from before (written with BITFIELD: a 39-bit head, a 31-bit outcome). */
function decoded70(result: ReturnType<typeof sampleResult>, slot = 1) {
  const buf = Buffer.alloc(Math.ceil((3 * 70) / 8), 0xff);
  writeBits(buf, slot * 70, 39, (result.round - ring.base) * 128 + 1 * 8);
  writeBits(buf, slot * 70 + 39, 31, ringOutcome(result));
  return decodeRingEntry(result.checkId, ringFields70(buf, slot), 0, ring);
}

describe('a history ring entry', () => {
  it.each(PROBE_ERRORS)('keeps the error class %s, whatever its place in the list', (error) => {
    const result = sampleResult({ vantage: 'alpha', ok: false, error, round: T0 + 30_000, startedAt: T0 + 30_000 });
    expect(decoded(result)?.error).toBe(error);
  });

  it.each([0, 1, 2])('reads entry %i of a ring whole, between its neighbours', (slot) => {
    const round = T0 + 2 ** 32 - 1;
    const result = sampleResult({ vantage: 'alpha', round, startedAt: round + 100, status: 404, slow: true });
    result.timings = { total: 777 };
    expect(decoded(result, slot)).toMatchObject({ round, status: 404, slow: true, ok: true, timings: { total: 777 } });
    // A ring of 70-bit entries from before reads the same.
    expect(decoded70(result, slot)).toEqual(decoded(result, slot));
  });

  it('keeps latency to the ms below a second, to 0.2% above, saturating at 65.5 s; lateness in steps', () => {
    const round = T0 + 60_000;
    const at = (total: number, late: number) => {
      const result = sampleResult({ vantage: 'alpha', round, startedAt: round + late, status: 610 });
      result.timings = { total };
      return decoded(result);
    };
    for (const ms of [0, 1, 399, 1_023]) expect(at(ms, 0)?.timings.total).toBe(ms);
    for (const ms of [1_024, 1_501, 2_047, 9_999, 30_001, 65_535]) {
      const kept = at(ms, 0)?.timings.total ?? 0;
      expect(kept).toBeLessThanOrEqual(ms);
      expect(ms - kept).toBeLessThan(ms / 500);
    }
    expect(at(90_000, 0)?.timings.total).toBe(65_472);
    expect(at(250, 0)?.status).toBe(610);
    expect(at(250, 30)).toMatchObject({ startedAt: round + 25, finishedAt: round + 275 });
    expect(at(250, 1_200)?.startedAt).toBe(round + 1_000);
    expect(at(250, 9_000)?.startedAt).toBe(round + 2_500);
  });
});

describe('a history message', () => {
  it('keeps the first MESSAGE_CHARS characters, never half of one, and a short message whole', () => {
    const long = `${'é'.repeat(MESSAGE_CHARS - 1)}😀😀${'x'.repeat(2_000)}`;
    const cut = historyMessage(sampleResult({ ok: false, error: 'timeout', message: long }));
    expect([...cut]).toHaveLength(MESSAGE_CHARS);
    expect(cut).toBe(`${'é'.repeat(MESSAGE_CHARS - 1)}😀`);
    const short = 'connect ECONNREFUSED 203.0.113.7:443';
    expect(historyMessage(sampleResult({ ok: false, error: 'connect_refused', message: short }))).toBe(short);
    expect(historyMessage(sampleResult({}))).toBe('');
  });
});
