import { describe, expect, it } from 'vitest';
import { RetryLaterError } from './channels/channel.js';
import { retryAfter } from './channels/http-delivery.js';
import { retryDelay } from './delivery.js';

describe('retry delay of a page', () => {
  it('doubles from the configured backoff', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, 500))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it("waits at least as long as the provider's Retry-After, at most 15 minutes", () => {
    expect(retryDelay(1, 500, new RetryLaterError('429', 30_000))).toBe(30_000);
    expect(retryDelay(8, 500, new RetryLaterError('429', 1_000))).toBe(64_000);
    expect(retryDelay(1, 500, new RetryLaterError('429', 86_400_000))).toBe(15 * 60_000);
    expect(retryDelay(1, 500, new Error('HTTP 503'))).toBe(500);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(retryAfter('120', now)).toBe(120_000);
    expect(retryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(retryAfter('soon', now)).toBeUndefined();
    expect(retryAfter(null, now)).toBeUndefined();
  });
});
