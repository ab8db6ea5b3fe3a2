import type { RedisKeys } from '@vigil/core';
import type { ChainableCommander } from 'ioredis';

/**
 * Buckets a window is cut into. Counting covers whole buckets, so a check last reported up to one
 * bucket before the window still counts (half a window over; only checks whose interval is longer
 * than the window are counted more for it). More buckets would cut that at a price: each is one
 * more 12 KB key a vantage (buckets start dense, see EMPTY_DENSE_HLL) and one more merge in PFCOUNT.
 */
const BUCKETS_PER_WINDOW = 2;

/**
 * An empty dense HyperLogLog, in Redis's own string format (hyperloglog.c): the header "HYLL", the
 * encoding byte (0: dense), 3 unused bytes, an 8-byte cached cardinality (0, with the top bit of the
 * last byte clear: a valid cached 0), then 16384 registers of 6 bits (12,288 bytes, all 0).
 *
 * Each bucket key is SET to it (NX) before its first PFADD, so it is dense from the start. Left to
 * PFADD, a bucket of up to ~1,000–3,000 distinct checks stays a sparse HLL for good (Redis 7.0's
 * hll-sparse-max-bytes 3000), and a sparse PFADD rewrites the sparse encoding for each id it adds:
 * ~190 µs of Redis a PFADD of ~200 ids in the fleet bench (1,000 checks × 3 vantages, 600 probes/s),
 * ~1 µs a probe and 4 % of Redis's CPU. A dense PFADD is a hash and a register write an id:
 * bench/vantage-seen-ab.ts (sides `sparse` and `dense`) measures the batches' Redis time a
 * check-round at 0.83–1.08 µs sparse, 0.11–0.12 µs dense (1,000 checks), 0.88 µs and 0.14 µs (10,000).
 * No Redis command turns an HLL dense, hence the string. PFADD, PFCOUNT and PFMERGE take it as any
 * HLL, and count it with sparse keys another notifier may have written first (NX leaves those).
 * The price: 12,304 bytes a (vantage, bucket) key from its first write, a handful of keys (vantages
 * × the window's 2–3 live buckets); and a PFCOUNT merging dense buckets of few checks reads every
 * register (~75 µs of Redis a vantage at 1,000 checks, ~18 µs sparse), paid only by a tick counting
 * a vantage with solo failures (VantageHealth.read).
 */
const EMPTY_DENSE_HLL = (() => {
  const hll = Buffer.alloc(16 + (16_384 * 6) / 8);
  hll.write('HYLL', 0, 'latin1');
  return hll;
})();

/**
 * How many distinct checks each vantage reported in decided rounds over `settings.vantages.window`:
 * only that count is ever read (the impaired ratio solo / seen, and the incident's title), so it is
 * kept as a HyperLogLog per vantage and time bucket (by round) rather than a sorted set of every
 * check id. A bucket is a 12 KB dense HLL however many checks it holds (dense from its first write,
 * see EMPTY_DENSE_HLL), where the zset held ~105 B a check; a dense PFADD of a batch's ids (a hash
 * and a register write an id) costs Redis ~1/10 of a ZADD of ids and scores (bench/vantage-seen-ab.ts).
 * PFCOUNT of a window's bucket keys counts their union, with ~0.81 % standard error: for a ratio
 * judged against `impairedRatio` (0.5 by default), and a figure shown to people, that is plenty.
 */
export class SeenWindow {
  readonly bucketMs: number;
  /** Bucket keys this process has sent the empty dense HLL to, by when they expire: only live buckets. */
  private readonly created = new Map<string, number>();

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
   * bucket (one bucket for most batches, two at an edge), after a SET NX of an empty dense HLL the
   * first time this process writes the bucket. Buckets already out of the window are left out.
   */
  queue(
    pipeline: ChainableCommander,
    seen: ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>,
    now: number,
  ) {
    this.forgetExpired(now);
    for (const [vantage, buckets] of seen) {
      for (const [start, checkIds] of buckets) {
        const ttl = this.ttlOf(start, now);
        if (ttl <= 0 || checkIds.size === 0) continue;
        const key = this.keys.vantageSeenBucket(vantage, start);
        if (!this.created.has(key)) {
          // Once a key and process (a pipeline that fails after this only costs that bucket its
          // dense start: PFADD then makes it sparse, counted the same).
          pipeline.set(key, EMPTY_DENSE_HLL, 'PX', ttl, 'NX');
          this.created.set(key, start + this.bucketMs + this.windowMs);
        }
        // Every batch sets the expiry (to the same moment): any notifier may write a bucket first.
        pipeline.pfadd(key, ...checkIds);
        pipeline.pexpire(key, ttl);
      }
    }
  }

  /** Drops the bucket keys whose buckets have left the window (their keys have expired) from `created`. */
  private forgetExpired(now: number) {
    for (const [key, expiresAt] of this.created) if (expiresAt <= now) this.created.delete(key);
  }
}
