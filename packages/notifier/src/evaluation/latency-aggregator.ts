import {
  LATENCY_BUCKET_MS,
  LATENCY_PHASES,
  type LatencyAggregate,
  LatencyMergeError,
  type LatencyPhase,
  latencyOf,
  type ResultJobData,
} from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';

export type LatencyAggregatorContext = Pick<NotifierContext, 'clock' | 'log' | 'latencyRollups' | 'redis' | 'keys'>;

export interface LatencyAggregatorOptions {
  /** Merge at least this often (and at each hour boundary); 5 minutes unless said. */
  flushEveryMs?: number;
}

interface Sums {
  checkId: string;
  vantage: string;
  bucket: number;
  samples: number;
  failures: number;
  sums: Record<LatencyPhase, number>;
}

/**
 * Sums the latencies of the results this notifier records per (check, vantage, hour bucket: the
 * rollups' day tier's, LATENCY_BUCKET_MS), in memory, and merges them into the checks' rollups every
 * 5 minutes, at bucket boundaries and on close: one script call per 500 checks instead of a write per
 * result, and a merge's cost (~10 µs of notifier and of Redis CPU per (check, vantage)) shared by the
 * ~10 results of a 30 s check it sums.
 * Several notifiers each hold part of a bucket; the merge adds their parts. The trade-off: a notifier
 * that crashes loses the chart points of the minutes it had not merged yet (a dent in one bucket's
 * sample count, its means barely moved). Uptime, incidents and history never pass through here, so
 * they lose nothing.
 */
export class LatencyAggregator {
  private pending = new Map<string, Sums>();
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
    for (const { result } of recorded) {
      const bucket = Math.floor(result.round / LATENCY_BUCKET_MS);
      const id = `${result.checkId}\n${result.vantage}\n${bucket}`;
      let sums = this.pending.get(id);
      if (sums === undefined) {
        sums = {
          checkId: result.checkId,
          vantage: result.vantage,
          bucket,
          samples: 0,
          failures: 0,
          sums: { total: 0, dns: 0, connect: 0, tls: 0, firstByte: 0 },
        };
        this.pending.set(id, sums);
      }
      sums.samples++;
      if (!result.ok) {
        sums.failures++;
        continue;
      }
      const latency = latencyOf(result);
      for (const phase of LATENCY_PHASES) sums.sums[phase] += latency[phase];
    }
  }

  /**
   * A check was deleted: its sums are dropped, never merged into the rollup the delete forgot (the
   * id may be created again, by another owner). One in a merge under way is removed after it.
   */
  forget(checkId: string): void {
    for (const [id, sums] of this.pending) if (sums.checkId === checkId) this.pending.delete(id);
    this.deletedDuringMerge?.add(checkId);
  }

  /** Merges when `flushEveryMs` has passed or an hour boundary since the last merge. */
  async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    const boundary = Math.floor(now / LATENCY_BUCKET_MS) !== Math.floor(this.lastFlush / LATENCY_BUCKET_MS);
    if (boundary || now - this.lastFlush >= (this.options.flushEveryMs ?? 300_000)) await this.flush();
  }

  /** Merges everything held; one flush at a time. A merge Redis refuses keeps its sums for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    this.lastFlush = this.ctx.clock.now();
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    const aggregates: LatencyAggregate[] = [];
    for (const s of taken.values()) {
      const ok = s.samples - s.failures;
      const means = Object.fromEntries(LATENCY_PHASES.map((p) => [p, ok > 0 ? s.sums[p] / ok : 0]));
      aggregates.push({ ...s, means: means as Record<LatencyPhase, number> });
    }
    const deleted = new Set<string>();
    this.deletedDuringMerge = deleted;
    try {
      await this.ctx.latencyRollups.merge(aggregates);
    } catch (err) {
      this.putBack(err as Error, taken, deleted);
    }
    try {
      // Also after a failed merge: calls that landed, or may have, wrote a deleted check's rollup.
      const merged = [...deleted].filter((checkId) => aggregates.some((a) => a.checkId === checkId));
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
  private putBack(err: Error, taken: Map<string, Sums>, deleted: Set<string>): void {
    const failed = err instanceof LatencyMergeError ? new Set(err.failed) : new Set<string>();
    let kept = 0;
    for (const [id, s] of taken) {
      if (!failed.has(s.checkId) || deleted.has(s.checkId)) continue;
      this.restore(id, s);
      kept++;
    }
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

  private restore(id: string, s: Sums): void {
    const held = this.pending.get(id);
    if (held === undefined) {
      this.pending.set(id, s);
      return;
    }
    held.samples += s.samples;
    held.failures += s.failures;
    for (const phase of LATENCY_PHASES) held.sums[phase] += s.sums[phase];
  }
}
