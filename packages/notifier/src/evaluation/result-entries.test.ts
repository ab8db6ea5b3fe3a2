import { encodeResultBatch, type ResultJobData } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { describe, expect, it } from 'vitest';
import { type EntryGroup, groupEntries, MERGED_RESULTS, type StreamEntry } from './result-entries.js';

/** A prober's batch: one result a check, from `vantage`, for the checks `site-<from>`… */
function batch(vantage: string, from: number, count: number, round = 1_000): ResultJobData[] {
  return Array.from({ length: count }, (_, i) => ({
    result: sampleResult({ checkId: `site-${String(from + i).padStart(4, '0')}`, vantage, round }),
    intervalMs: 30_000,
  }));
}

function entries(...batches: ResultJobData[][]): StreamEntry[] {
  return batches.map((results, i) => [`${i + 1}-0`, encodeResultBatch(results)]);
}

const key = (data: unknown) => {
  const { result } = data as ResultJobData;
  return `${result.checkId}/${result.vantage}/${result.round}`;
};

/** Which recording each check's results went to. */
function recordingsOf(groups: EntryGroup[]): Map<string, Set<number>> {
  const byCheck = new Map<string, Set<number>>();
  for (const [g, group] of groups.entries()) {
    for (const data of group.results) {
      const { checkId } = (data as ResultJobData).result;
      byCheck.set(checkId, (byCheck.get(checkId) ?? new Set()).add(g));
    }
  }
  return byCheck;
}

describe('groupEntries', () => {
  it('records entries that fit one recording together, in the order read', () => {
    const read = entries(batch('alpha', 0, 200), batch('beta', 0, 200), batch('gamma', 0, 200));
    const { groups, gone } = groupEntries(read);
    expect(gone).toEqual([]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.ids).toEqual(['1-0', '2-0', '3-0']);
    expect(groups[0]?.results.map(key)).toEqual(
      [...batch('alpha', 0, 200), ...batch('beta', 0, 200), ...batch('gamma', 0, 200)].map(key),
    );
    expect(groups[0]?.parts.map((part) => part.length)).toEqual([200, 200, 200]);
  });

  it('keeps a check’s results from every vantage in one recording when a slot’s batches are cut 200 + 2', () => {
    // Three probers each batch a slot of 202 checks as 200 then 2: read together, 606 results.
    const read = entries(
      batch('alpha', 0, 200),
      batch('alpha', 200, 2),
      batch('beta', 0, 200),
      batch('beta', 200, 2),
      batch('gamma', 0, 200),
      batch('gamma', 200, 2),
    );
    const { groups } = groupEntries(read);
    expect(groups.length).toBe(2);
    for (const group of groups) expect(group.results.length).toBeLessThanOrEqual(MERGED_RESULTS);
    for (const [check, recordings] of recordingsOf(groups)) expect([check, recordings.size]).toEqual([check, 1]);
    // Every result once, and each recording names the entries whose results it holds, with each one's part.
    const all = groups.flatMap((group) => group.results.map(key));
    expect(all.sort()).toEqual(read.flatMap(([, fields]) => JSON.parse(fields?.[3] ?? '[]').map(key)).sort());
    for (const group of groups) {
      expect(group.parts.flat().map(key).sort()).toEqual(group.results.map(key).sort());
      for (const [i, id] of group.ids.entries()) {
        const batchRead: unknown[] = JSON.parse(read.find(([entry]) => entry === id)?.[1]?.[3] ?? '[]');
        const part = (group.parts[i] ?? []).map(key);
        expect(part.length).toBeGreaterThan(0);
        // The entry's results this recording holds, in the order read.
        expect(part).toEqual(batchRead.map(key).filter((k) => part.includes(k)));
      }
    }
    expect(groups.some((group) => group.continues)).toBe(false);
  });

  it('keeps each vantage’s rounds of a check in the order read', () => {
    const read = entries(batch('alpha', 0, 400, 1_000), batch('alpha', 0, 400, 2_000));
    const { groups } = groupEntries(read);
    for (const [check] of recordingsOf(groups)) {
      const rounds = groups.flatMap((group) =>
        group.results
          .map((data) => (data as ResultJobData).result)
          .filter((result) => result.checkId === check)
          .map((result) => result.round),
      );
      expect([check, rounds]).toEqual([check, [1_000, 2_000]]);
    }
  });

  it('cuts a check that alone holds more than a recording, rather than make one too long', () => {
    const many = Array.from({ length: 4 }, (_, i) =>
      batch('alpha', 0, 1, 1_000 + i).concat(
        Array.from({ length: 199 }, () => batch('alpha', 0, 1, 1_000 + i)[0] as ResultJobData),
      ),
    );
    const { groups } = groupEntries(entries(...many));
    expect(groups.map((group) => group.results.length)).toEqual([600, 200]);
    // The second continues the first's check: recorded after it, never beside it.
    expect(groups.map((group) => group.continues ?? false)).toEqual([false, true]);
  });

  it('leaves an entry that cannot be accepted alone, and names the ones with nothing left', () => {
    const tooLong = Array.from({ length: 501 }, () => batch('alpha', 0, 1)[0] as ResultJobData);
    const read: StreamEntry[] = [...entries(batch('alpha', 0, 3), tooLong), ['9-0', null]];
    const { groups, gone } = groupEntries(read);
    expect(gone).toEqual(['9-0']);
    expect(groups.map((group) => [group.ids, group.alone ?? false])).toEqual([
      [['2-0'], true],
      [['1-0'], false],
    ]);
  });
});
