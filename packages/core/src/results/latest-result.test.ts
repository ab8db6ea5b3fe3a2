import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../probes/probe-result.js';
import { sampleResult, T0 } from '../testing/index.js';
import { decodeLatest, encodeLatest } from './latest-result.js';

const of = (result: ProbeResult) => ({ checkId: result.checkId, vantage: result.vantage, round: String(result.round) });

describe('a latest result in its short form', () => {
  const results: ProbeResult[] = [
    sampleResult({
      status: 200,
      timings: { dns: 2, connect: 10, tls: 40, firstByte: 110, total: 125 },
      remoteAddress: '2001:db8::1',
      certExpiresAt: T0 + 40 * 86_400_000,
    }),
    sampleResult({
      ok: false,
      error: 'timeout',
      message: 'timed out after 5000 ms',
      startedAt: T0 + 5.25,
      finishedAt: T0 + 5012.5,
    }),
    sampleResult({ timings: { connect: 3, total: 3 }, slow: true }),
    sampleResult({
      dns: { rcode: 'NOERROR', answers: ['192.0.2.1'], minTtl: 60, transport: 'udp' },
      addresses: [{ address: '192.0.2.1', ok: true, timings: { total: 4 } }],
    }),
  ];

  it('reads back the result it was made from, field for field and in the same order', () => {
    for (const result of results) {
      const read = decodeLatest(encodeLatest(result), of(result));
      expect(read).toEqual(result);
      expect(Object.keys(read)).toEqual(Object.keys(result));
    }
  });

  it('takes well under half the bytes of the whole result for an HTTP probe', () => {
    const [http] = results;
    if (!http) throw new Error('fixture missing');
    const { checkId, vantage, ...whole } = http;
    expect(encodeLatest(http).length).toBeLessThan(JSON.stringify(whole).length / 2);
  });

  it('reads JSON of the whole result, written before the short form, as it is', () => {
    for (const result of results) {
      const { checkId, vantage, ...whole } = result;
      expect(decodeLatest(JSON.stringify(whole), { ...of(result), round: undefined })).toEqual(result);
    }
  });
});
