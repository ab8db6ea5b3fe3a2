import {
  encodeResultBatch,
  groupByShard,
  MAX_RESULT_BATCH,
  RESULT_STREAM_MAXLEN,
  type Redis,
  type RedisKeys,
  type ResultJobData,
} from '@vigil/core';

/** How results are gathered into batches: at most `maxSize` a batch, none held longer than `maxWaitMs`. */
export interface ResultBatching {
  maxSize: number;
  maxWaitMs: number;
}

/**
 * A batch costs Redis and the notifier about the same whatever its size (one entry, a fixed number of
 * scripts), so results wait up to a quarter of a second for company; a slot job flushes its own
 * results as soon as its last probe is done, so a round is rarely held the whole window.
 */
export const DEFAULT_RESULT_BATCHING: ResultBatching = { maxSize: 200, maxWaitMs: 250 };

interface Pending {
  data: ResultJobData;
  done: (err?: unknown) => void;
}

/**
 * Sends results to the result streams, many per entry: a batch goes out when it holds `maxSize`
 * results, when its oldest has waited `maxWaitMs`, or when `flush()` is called (a slot job's last
 * probe). A batch is one `XADD` per shard its checks fall in (one on a single Redis), pipelined.
 * Each `send` resolves only once its entry is in Redis, so the probe job completes after, never
 * before, its result is safe; a prober killed before then loses only those, which its job, claimed
 * again, probes again.
 */
export class ResultSink {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private hurried = false;
  private closing: Promise<void> | undefined;

  constructor(
    /** A connection that waits out Redis restarts (`maxRetriesPerRequest: null`), as BullMQ's does. */
    private readonly connection: Redis,
    private readonly keys: Pick<RedisKeys, 'resultStream' | 'shardOf'>,
    private readonly batching: ResultBatching = DEFAULT_RESULT_BATCHING,
  ) {
    if (batching.maxSize > MAX_RESULT_BATCH) throw new RangeError(`a result batch holds at most ${MAX_RESULT_BATCH}`);
  }

  send(data: ResultJobData): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, done: (err) => (err ? reject(err) : resolve()) });
      if (this.pending.length >= this.batching.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.hurried ? 0 : this.batching.maxWaitMs);
    });
  }

  /** Shutting down: from now on nothing waits for company (the probes still in flight report at once). */
  hurry(): void {
    this.hurried = true;
    this.flush();
  }

  /** Sends what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const sent = this.append(batch);
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Sends what is pending and waits for every batch in flight (the connection is the caller's). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.hurry();
      await Promise.allSettled(this.inFlight);
    })();
    return this.closing;
  }

  /** One entry per shard present, in one pipeline; each result settles with its own shard's entry. */
  private async append(batch: Pending[]): Promise<void> {
    const groups = groupByShard(this.keys, batch, (item) => item.data.result.checkId);
    const pipeline = this.connection.pipeline();
    for (const { shard, items } of groups) {
      const fields = encodeResultBatch(items.map((item) => item.data));
      pipeline.xadd(this.keys.resultStream(shard), 'MAXLEN', '~', RESULT_STREAM_MAXLEN, '*', ...fields);
    }
    const replies = await pipeline
      .exec()
      .catch((err: unknown) => groups.map((): [Error, null] => [err as Error, null]));
    groups.forEach(({ items }, i) => {
      const [err] = replies?.[i] ?? [new Error('no reply from Redis')];
      for (const item of items) item.done(err ?? undefined);
    });
  }
}
