import { describe, expect, it } from 'vitest';
import { retryAfter } from './http-delivery.js';

describe('retryAfter, when a 429 says to come back', () => {
  it('reads Retry-After in seconds, fractions rounded up to the ms', () => {
    expect(retryAfter('7')).toBe(7_000);
    expect(retryAfter(' 0.25 ')).toBe(250);
  });

  it('reads Retry-After as an HTTP date, never in the past', () => {
    const later = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfter(later)).toBeGreaterThan(55_000);
    expect(retryAfter('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0);
  });

  it("reads a JSON body's retry_after (Discord's, or Telegram's under parameters) when the header is absent", () => {
    expect(retryAfter(null, '{"message":"You are being rate limited.","retry_after":1.5,"global":false}')).toBe(1_500);
    expect(retryAfter(null, '{"ok":false,"error_code":429,"parameters":{"retry_after":12}}')).toBe(12_000);
  });

  it('caps a wait at an hour, and says nothing when nothing says when', () => {
    expect(retryAfter('999999')).toBe(3_600_000);
    expect(retryAfter(null)).toBeUndefined();
    expect(retryAfter('soon', 'not json')).toBeUndefined();
    expect(retryAfter(null, '{"retry_after":"7"}')).toBeUndefined();
  });
});
