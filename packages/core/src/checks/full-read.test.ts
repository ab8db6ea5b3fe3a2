import { describe, expect, it } from 'vitest';
import { FULL_READ_DUTY, FULL_READ_MAX_WAIT_MS, fullReadDue } from './full-read.js';

const MIN = 60_000;

describe('the insurance read of the whole registry', () => {
  it('is due every period while a read is quick', () => {
    const last = { at: 0, tookMs: 50 };
    expect(fullReadDue(last, 15 * MIN, 15 * MIN - 1)).toBe(false);
    expect(fullReadDue(last, 15 * MIN, 15 * MIN)).toBe(true);
  });

  it('waits a hundred times a slow read, so it costs at most 1 % of the time', () => {
    // A million checks: the read took 3 minutes, so the next waits 300 minutes, not 15.
    const last = { at: 1_000, tookMs: 3 * MIN };
    expect(FULL_READ_DUTY).toBe(100);
    expect(fullReadDue(last, 15 * MIN, 1_000 + 15 * MIN)).toBe(false);
    expect(fullReadDue(last, 15 * MIN, 1_000 + 300 * MIN - 1)).toBe(false);
    expect(fullReadDue(last, 15 * MIN, 1_000 + 300 * MIN)).toBe(true);
  });

  it('waits at most six hours, however long a stalled read took', () => {
    const last = { at: 0, tookMs: 10 * MIN };
    expect(FULL_READ_MAX_WAIT_MS).toBe(360 * MIN);
    expect(fullReadDue(last, 15 * MIN, 360 * MIN - 1)).toBe(false);
    expect(fullReadDue(last, 15 * MIN, 360 * MIN)).toBe(true);
  });
});
