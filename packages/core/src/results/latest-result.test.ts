import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../probes/probe-result.js';
import { sampleResult, T0 } from '../testing/index.js';
import { decodeLatest, encodeLatest, hasMessageApart, LISTPACK_VALUE_MAX } from './latest-result.js';

const of = (result: ProbeResult) => ({ checkId: result.checkId, vantage: result.vantage, round: String(result.round) });

/** Healthy results of every kind as probers make them (their fields in the probers' order). */
const healthy: Record<string, ProbeResult> = {
  https: sampleResult({
    startedAt: T0 + 12,
    finishedAt: T0 + 310,
    ok: true,
    status: 200,
    remoteAddress: '203.0.113.254',
    timings: { dns: 12, connect: 31, tls: 97, firstByte: 288, total: 298 },
    certExpiresAt: T0 + 61 * 86_400_000,
  }),
  tcp: sampleResult({ remoteAddress: '198.51.100.17', timings: { dns: 3, connect: 14, total: 14 } }),
  dns: sampleResult({
    remoteAddress: '192.0.2.53',
    timings: { total: 9 },
    dns: { rcode: 'NOERROR', answers: ['93.184.216.34'], minTtl: 300, transport: 'udp' },
  }),
  icmp: sampleResult({
    timings: { total: 21.5 },
    icmp: { sent: 3, received: 3, lossPercent: 0, rttMs: { min: 20.1, avg: 21.5, max: 23.9 } },
  }),
};

const failing: ProbeResult[] = [
  sampleResult({
    ok: false,
    error: 'timeout',
    message: 'timed out after 5000 ms',
    startedAt: T0 + 5.25,
    finishedAt: T0 + 5012.5,
  }),
  sampleResult({
    ok: false,
    error: 'http_status',
    message: 'expected status 200, got 503 Service Unavailable: 100% down\nsee % and spaces',
    status: 503,
    remoteAddress: '2001:db8::1',
  }),
  sampleResult({
    ok: false,
    error: 'dns',
    message: 'x'.repeat(2000),
    dns: { rcode: 'SERVFAIL', answers: [], transport: 'tcp' },
  }),
];

const others: ProbeResult[] = [
  sampleResult({ timings: { connect: 3, total: 3 }, slow: true }),
  sampleResult({
    dns: { rcode: 'NOERROR', answers: ['10 mail.example.com', 'a,b "c"'], minTtl: 60, transport: 'udp' },
    addresses: [{ address: '192.0.2.1', ok: true, timings: { total: 4 } }],
  }),
  sampleResult({ icmp: { sent: 3, received: 0, lossPercent: 100 }, ok: false, error: 'icmp_loss' }),
  // Nested fields in another order than the probers': kept as JSON, order and all.
  sampleResult({ dns: { transport: 'udp', rcode: 'NOERROR', answers: [] } }),
  sampleResult({ icmp: { received: 1, sent: 1, lossPercent: 0 } }),
  sampleResult({ certExpiresAt: T0 + 0.5 }),
  sampleResult({ certExpiresAt: T0 + 7 }),
  sampleResult({ slow: false, ok: false, error: 'made_up' as ProbeResult['error'] }),
];

describe('a latest result in its compact form', () => {
  it('reads back the result it was made from, field for field and in the same order', () => {
    for (const result of [...Object.values(healthy), ...failing, ...others]) {
      const { value, message } = encodeLatest(result);
      const read = decodeLatest(value, { ...of(result), message });
      expect(read).toEqual(result);
      expect(Object.keys(read)).toEqual(Object.keys(result));
      expect(Object.keys(read.dns ?? {})).toEqual(Object.keys(result.dns ?? {}));
      expect(value).not.toContain('\n');
    }
  });

  it('fits a listpack value (64 bytes) for a healthy HTTP, TCP, DNS and ICMP result', () => {
    for (const [kind, result] of Object.entries(healthy)) {
      const { value, message } = encodeLatest(result);
      expect(Buffer.byteLength(value), kind).toBeLessThanOrEqual(LISTPACK_VALUE_MAX);
      expect(message).toBeUndefined();
    }
  });

  it('keeps a message inline while the value fits, apart when it would not', () => {
    const [short, long] = failing;
    if (!short || !long) throw new Error('fixture missing');
    expect(encodeLatest(short).message).toBeUndefined();
    const apart = encodeLatest(long);
    expect(apart.message).toBe(long.message);
    expect(Buffer.byteLength(apart.value)).toBeLessThanOrEqual(LISTPACK_VALUE_MAX);
    expect(hasMessageApart(apart.value)).toBe(true);
    expect(hasMessageApart(encodeLatest(short).value)).toBe(false);
    // Read without its message (the messages hash gone): the rest of the result.
    const { message, ...rest } = long;
    expect(decodeLatest(apart.value, of(long))).toEqual(rest);
  });

  it('reads JSON of the whole result, and the short JSON form, written before, as they are', () => {
    const shortJson = '{"s":5,"f":25,"o":1,"t":[null,1,null,10,25],"c":200,"a":"2001:db8::1"}';
    for (const result of [...Object.values(healthy), ...failing, ...others]) {
      const { checkId, vantage, ...whole } = result;
      expect(decodeLatest(JSON.stringify(whole), { ...of(result), round: undefined })).toEqual(result);
    }
    expect(decodeLatest(shortJson, of(sampleResult()))).toEqual(
      sampleResult({ status: 200, remoteAddress: '2001:db8::1' }),
    );
  });
});
