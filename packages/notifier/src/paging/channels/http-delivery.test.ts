import { describe, expect, it } from 'vitest';
import { retryAfter } from './http-delivery.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('retryAfter, when a 429 says to come back', () => {
  it('reads Retry-After in seconds, fractions rounded up to the ms', () => {
    expect(retryAfter('7', NOW)).toBe(7_000);
    expect(retryAfter(' 0.25 ', NOW)).toBe(250);
  });

  it('reads an HTTP date as a wait from now, never one in the past', () => {
    expect(retryAfter('Thu, 01 Jan 1970 00:00:00 GMT', NOW)).toBe(0);
  });

  it("reads a JSON body's retry_after (Discord's, or Telegram's under parameters) when the header is absent", () => {
    const discord = '{"message":"You are being rate limited.","retry_after":1.5,"global":false}';
    expect(retryAfter(null, NOW, discord)).toBe(1_500);
    expect(retryAfter(null, NOW, '{"ok":false,"error_code":429,"parameters":{"retry_after":12}}')).toBe(12_000);
  });

  it('caps a wait at an hour, and says nothing when nothing says when', () => {
    expect(retryAfter('999999', NOW)).toBe(3_600_000);
    expect(retryAfter('soon', NOW, 'not json')).toBeUndefined();
    expect(retryAfter(null, NOW, '{"retry_after":"7"}')).toBeUndefined();
  });
});
