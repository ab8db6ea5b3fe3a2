import { describe, expect, it } from 'vitest';
import { PROBE_ERRORS } from '../probes/probe-result.js';
import { sampleResult, T0 } from '../testing/index.js';
import {
  decodeRingEntry,
  encodeRingOutcome,
  historyMessage,
  MESSAGE_CHARS,
  RING_ENTRY_BYTES,
  type RingInfo,
} from './history-ring.js';

const ring: RingInfo = { base: T0, vantages: new Map([[1, 'alpha']]), messages: new Map() };

/** A whole entry as the record script writes it: round − base, vantage index 1, no message slot. */
function entry(result: ReturnType<typeof sampleResult>): Buffer {
  const out = Buffer.alloc(RING_ENTRY_BYTES);
  out.writeUIntBE((result.round - ring.base) * 128 + 1 * 8, 0, 5);
  encodeRingOutcome(result).copy(out, 5);
  return out;
}

describe('a history ring entry', () => {
  it.each(PROBE_ERRORS)('keeps the error class %s, whatever its place in the list', (error) => {
    const result = sampleResult({ vantage: 'alpha', ok: false, error, round: T0 + 30_000, startedAt: T0 + 30_000 });
    expect(decodeRingEntry(result.checkId, entry(result), 0, ring)?.error).toBe(error);
  });

  it('keeps status, latency and lateness to their limits, saturating past them', () => {
    const round = T0 + 60_000;
    const kept = sampleResult({ vantage: 'alpha', round, startedAt: round + 5_100, status: 610 });
    kept.timings = { total: 65_535 };
    kept.finishedAt = kept.startedAt + 65_535;
    expect(decodeRingEntry(kept.checkId, entry(kept), 0, ring)).toMatchObject({
      status: 610,
      startedAt: round + 5_100,
      timings: { total: 65_535 },
    });
    const past = { ...kept, startedAt: round + 9_000, timings: { total: 90_000 } };
    expect(decodeRingEntry(past.checkId, entry(past), 0, ring)).toMatchObject({
      startedAt: round + 5_100,
      timings: { total: 65_535 },
    });
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
