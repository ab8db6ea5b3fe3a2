import { MAX_RESULT_BATCH, RESULTS_QUEUE, type Redis, type ResultBatchData, type ResultJobData } from '@vigil/core';
import { Queue } from 'bullmq';

const RESULT_JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { count: 10_000 } } as const;

/** How results are gathered into batches: at most `maxSize` a batch, none held longer than `maxWaitMs`. */
export interface ResultBatching {
  maxSize: number;
  maxWaitMs: number;
}

/**
 * A batch costs Redis and the notifier about the same whatever its size (one job, a fixed number of
 * scripts), so results wait up to a quarter of a second for company; a slot job flushes its own
 * results as soon as its last probe is done, so a round is rarely held the whole window.
 */
export const DEFAULT_RESULT_BATCHING: ResultBatching = { maxSize: 200, maxWaitMs: 250 };

interface Pending {
  data: ResultJobData;
  done: (err?: unknown) => void;
}

/**
 * Sends results to the `results` queue, many per job: a batch goes out when it holds `maxSize`
 * results, when its oldest has waited `maxWaitMs`, or when `flush()` is called (a slot job's last
 * probe). Each `send` resolves only once its batch is in Redis, so the probe job completes after,
 * never before, its result is safe; a prober killed before then loses only those, which its job,
 * claimed again, probes again.
 */
export class ResultSink {
  private readonly queue: Queue<ResultBatchData>;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private hurried = false;
  private closing: Promise<void> | undefined;

  constructor(
    connection: Redis,
    /** BullMQ's prefix for the results queue (`keys.queuePrefix(RESULTS_QUEUE)`). */
    prefix: string,
    private readonly batching: ResultBatching = DEFAULT_RESULT_BATCHING,
  ) {
    if (batching.maxSize > MAX_RESULT_BATCH) throw new RangeError(`a result batch holds at most ${MAX_RESULT_BATCH}`);
    this.queue = new Queue<ResultBatchData>(RESULTS_QUEUE, { connection, prefix });
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
    const sent = this.queue.add('results', { results: batch.map(({ data }) => data) }, RESULT_JOB_OPTIONS).then(
      () => {
        for (const item of batch) item.done();
      },
      (err: unknown) => {
        for (const item of batch) item.done(err);
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Sends what is pending and waits for every batch in flight before closing the queue. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.hurry();
      await Promise.allSettled(this.inFlight);
      await this.queue.close();
    })();
    return this.closing;
  }
}
