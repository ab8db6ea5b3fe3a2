import type { ProbeResult } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';

/**
 * A vantage's HTTP result for a check's round as the benches feed them: 200 in 125 ms with every
 * timing, or a 503 (`http_status`) when not `ok`.
 */
export function httpRoundResult(checkId: string, vantage: string, round: number, ok: boolean): ProbeResult {
  return sampleResult({
    checkId,
    vantage,
    round,
    startedAt: round + 5,
    finishedAt: round + 130,
    ok,
    status: ok ? 200 : 503,
    timings: { dns: 2, connect: 10, tls: 40, firstByte: 110, total: 125 },
    remoteAddress: '127.0.0.1',
    ...(!ok && { error: 'http_status' as const, message: 'expected status 200, got 503 Service Unavailable' }),
  });
}
