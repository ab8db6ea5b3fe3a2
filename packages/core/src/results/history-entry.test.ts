import { describe, expect, it } from 'vitest';
import { PROBE_ERRORS } from '../probes/probe-result.js';
import { sampleResult } from '../testing/index.js';
import { decodeHistoryEntry, encodeHistoryEntry } from './history-entry.js';

describe('history entries', () => {
  it.each(PROBE_ERRORS)('keep the error class %s, whatever its place in the list', (error) => {
    const result = sampleResult({ ok: false, error, message: 'why' });
    const decoded = decodeHistoryEntry(result.checkId, encodeHistoryEntry(result), new Map([[0, result.vantage]]));
    expect(decoded).toMatchObject({ ok: false, error, message: 'why' });
  });

  it('read an entry written when the class sat in four bits the same (bit 6 clear)', () => {
    const result = sampleResult({ ok: false, error: 'timeout', slow: true });
    const entry = encodeHistoryEntry(result);
    expect((entry[0] ?? 0) & 0x40).toBe(0);
    expect(decodeHistoryEntry(result.checkId, entry, new Map([[0, result.vantage]]))).toMatchObject({
      error: 'timeout',
      slow: true,
    });
  });
});
