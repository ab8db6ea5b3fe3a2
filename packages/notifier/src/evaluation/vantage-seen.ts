import type { RedisKeys } from '@vigil/core';
import type { ChainableCommander } from 'ioredis';

/**
 * Buckets a window is cut into. Counting covers whole buckets, so a check last reported up to one
 * bucket before the window still counts (half a window over; only checks whose interval is longer
 * than the window are counted more for it). More buckets would cut that at a price
 * (bench/vantage-seen-ab.ts, 10,000 checks every 60 s): each new bucket starts as a sparse HLL, whose
 * first ~1,000 PFADDs cost Redis ~1 µs each before it turns dense, so quarter-window buckets cost
 * twice the PFADD time of half-window ones, and each bucket is one more merge in PFCOUNT.
 */
const BUCKETS_PER_WINDOW = 2;

/**
 * How many distinct checks each vantage reported in decided rounds over `settings.vantages.window`:
 * only that count is ever read (the impaired ratio solo / seen, and the incident's title), so it is
 * kept as a HyperLogLog per vantage and time bucket (by round) rather than a sorted set of every
 * check id. A bucket is at most a 12 KB dense HLL however many checks it holds, where the zset held
 * ~105 B a check; a PFADD of a batch's ids costs Redis less than a ZADD of ids and scores.
 * PFCOUNT of a window's bucket keys counts their union, with ~0.81 % standard error: for a ratio
 * judged against `impairedRatio` (0.5 by default), and a figure shown to people, that is plenty.
 */
export class SeenWindow {
  readonly bucketMs: number;

  constructor(
    private readonly keys: Pick<RedisKeys, 'vantageSeenBucket'>,
    private readonly windowMs: number,
  ) {
    this.bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS_PER_WINDOW));
  }

  /** The start of the bucket a round falls in: bucket keys are named by it, so a new window setting only starts new keys. */
  bucketOf(round: number): number {
    return Math.floor(round / this.bucketMs) * this.bucketMs;
  }

  /**
   * How long a bucket's key must live, from `now`, to be counted as long as it can be (until its
   * end leaves the window): ≤ 0 for a bucket no count will read again (a round decided that late).
   * Relative to the clock the notifier counts by, so an injected clock and Redis's agree.
   */
  ttlOf(start: number, now: number): number {
    return start + this.bucketMs + this.windowMs - now;
  }

  /** The bucket keys of `vantage` the window ending at `now` covers, oldest first: the bucket holding `now − window` to `now`'s. */
  keysAt(vantage: string, now: number): string[] {
    const out: string[] = [];
    for (let start = this.bucketOf(now - this.windowMs); start <= now; start += this.bucketMs)
      out.push(this.keys.vantageSeenBucket(vantage, start));
    return out;
  }

  /**
   * Queues the checks each vantage reported, by bucket: one PFADD and one PEXPIRE a vantage and
   * bucket (one bucket for most batches, two at an edge). Buckets already out of the window are left out.
   */
  queue(
    pipeline: ChainableCommander,
    seen: ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>,
    now: number,
  ) {
    for (const [vantage, buckets] of seen) {
      for (const [start, checkIds] of buckets) {
        const ttl = this.ttlOf(start, now);
        if (ttl <= 0 || checkIds.size === 0) continue;
        const key = this.keys.vantageSeenBucket(vantage, start);
        // Every batch sets the expiry (to the same moment): any notifier may write a bucket first.
        pipeline.pfadd(key, ...checkIds);
        pipeline.pexpire(key, ttl);
      }
    }
  }
}
