import { DEFAULT_LATENCY_MERGE_MS, LATENCY_BUCKET_MS, LatencyMergeError, type ResultJobData } from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import { LatencySums } from './latency-sums.js';

export type LatencyAggregatorContext = Pick<NotifierContext, 'clock' | 'log' | 'latencyRollups' | 'redis' | 'keys'>;

export interface LatencyAggregatorOptions {
  /** Merge at least this often (and at each hour boundary); `notifier.latencyMergeEvery`'s default unless said. */
  flushEveryMs?: number;
}

/**
 * Sums the latencies of the results this notifier records per (check, vantage, hour bucket: the
 * rollups' day tier's, LATENCY_BUCKET_MS), in memory, and merges them into the checks' rollups every
 * `flushEveryMs` (`notifier.latencyMergeEvery`, 15 minutes by default), at bucket boundaries and on
 * close: one script call per 500 checks instead of a write per result, and a merge's cost (~10 µs of
 * notifier and of Redis CPU per (check, vantage)) shared by the results it sums (~30 of a 30 s
 * check's every 15 minutes, fewer when several notifiers share them).
 * Several notifiers each hold part of a bucket; the merge adds their parts. The trade-off: a notifier
 * that crashes loses the chart points of the minutes it had not merged yet (a dent in one bucket's
 * sample count, its means barely moved). Uptime, incidents and history never pass through here, so
 * they lose nothing. The sums are held in columns (LatencySums), the merge reads them a pipeline at a
 * time (LatencyRollups.mergeLines).
 */
export class LatencyAggregator {
  private pending = new LatencySums();
  /** Checks deleted while a merge was under way: their rollups are removed again once it is done. */
  private deletedDuringMerge: Set<string> | undefined;
  private lastFlush: number;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: LatencyAggregatorContext,
    private readonly options: LatencyAggregatorOptions = {},
  ) {
    this.lastFlush = ctx.clock.now();
  }

  /** Adds newly recorded results (duplicates left out by the caller) to their buckets. */
  add(recorded: readonly ResultJobData[]): void {
    for (const { result } of recorded) this.pending.add(result);
  }

  /**
   * A check was deleted: its sums are dropped, never merged into the rollup the delete forgot (the
   * id may be created again, by another owner). One in a merge under way is removed after it.
   */
  forget(checkId: string): void {
    this.pending.forget(checkId);
    this.deletedDuringMerge?.add(checkId);
  }

  /** Merges when `flushEveryMs` has passed or an hour boundary since the last merge. */
  async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    const boundary = Math.floor(now / LATENCY_BUCKET_MS) !== Math.floor(this.lastFlush / LATENCY_BUCKET_MS);
    if (boundary || now - this.lastFlush >= (this.options.flushEveryMs ?? DEFAULT_LATENCY_MERGE_MS)) await this.flush();
  }

  /** Merges everything held; one flush at a time. A merge Redis refuses keeps its sums for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    this.lastFlush = this.ctx.clock.now();
    if (this.pending.checks === 0) return;
    const taken = this.pending;
    // Room for the entries of a period like this one: a steady fleet's columns never grow, nor sit half empty.
    this.pending = new LatencySums(taken.size * 1.125);
    const deleted = new Set<string>();
    this.deletedDuringMerge = deleted;
    try {
      await this.ctx.latencyRollups.mergeLines(taken.lines());
    } catch (err) {
      this.putBack(err as Error, taken, deleted);
    }
    try {
      // Also after a failed merge: calls that landed, or may have, wrote a deleted check's rollup.
      const merged = [...deleted].filter((checkId) => taken.has(checkId));
      for (const checkId of merged) await this.ctx.redis.unlink(this.ctx.keys.latencyRollup(checkId));
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'deleted checks’ latency rollups not removed');
    } finally {
      this.deletedDuringMerge = undefined;
    }
  }

  /**
   * After a failed merge, puts back the sums of the checks whose calls Redis refused, for the next.
   * Never the sums of calls that landed: a merge adds, so they would be counted twice. Calls lost with
   * the connection (merged or not, nobody knows) and an `exec` rejected as a whole are dropped with
   * a warning: a chart misses a few minutes of samples rather than counting some twice.
   */
  private putBack(err: Error, taken: LatencySums, deleted: Set<string>): void {
    const failed = err instanceof LatencyMergeError ? err.failed : [];
    let kept = 0;
    for (const checkId of failed) if (!deleted.has(checkId)) kept += this.pending.addFrom(taken, checkId);
    this.ctx.log.warn(
      {
        err: err.message,
        buckets: taken.size,
        kept,
        dropped: err instanceof LatencyMergeError ? err.unknown.length : undefined,
      },
      'latency rollups not all merged; refused ones kept for the next, ones that may have landed dropped',
    );
  }
}
