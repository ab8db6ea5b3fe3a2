import type { ProbeResult } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { resultText } from './check-render.js';

const base: ProbeResult = {
  checkId: 'lb',
  vantage: 'alpha',
  round: 0,
  startedAt: 0,
  finishedAt: 10,
  ok: true,
  timings: { total: 10 },
};

describe('a result in one cell', () => {
  it('shows ICMP replies and round trips before the verdict, and loss without round trips', () => {
    const icmp = { sent: 3, received: 3, lossPercent: 0, rttMs: { min: 10.1, avg: 12.5, max: 15 } };
    expect(resultText({ ...base, icmp })).toBe('3/3 replies, rtt 10.1/12.5/15 ms — ok');
    expect(
      resultText({
        ...base,
        ok: false,
        error: 'icmp_loss',
        message: '3 of 3 echo requests to 192.0.2.1 went unanswered',
        icmp: { sent: 3, received: 0, lossPercent: 100 },
      }),
    ).toBe('0/3 replies — icmp_loss: 3 of 3 echo requests to 192.0.2.1 went unanswered');
  });
});
