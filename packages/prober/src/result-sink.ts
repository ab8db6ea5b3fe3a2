import { MAX_RESULT_BATCH, RESULTS_QUEUE, type Redis, type ResultBatchData, type ResultJobData } from '@vigil/core';
import { Queue } from 'bullmq';

const RESULT_JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { count: 10_000 } } as const;
const DEFAULT_BATCH = { maxSize: 200, maxWaitMs: 2 };

interface Pending {
  data: ResultJobData;
  done: (err?: unknown) => void;
}

/**
 * Sends results to the `results` queue, many per job: results that finish within a few
 * milliseconds of each other travel as one batch (at most `maxSize`). Each `send` resolves only
 * once its batch is in Redis, so the probe job completes after, never before, its result is safe.
 */
export class ResultSink {
  private readonly queue: Queue<ResultBatchData>;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    connection: Redis,
    prefix: string,
    private readonly batch = DEFAULT_BATCH,
  ) {
    if (batch.maxSize > MAX_RESULT_BATCH) throw new RangeError(`a result batch holds at most ${MAX_RESULT_BATCH}`);
    this.queue = new Queue<ResultBatchData>(RESULTS_QUEUE, { connection, prefix });
  }

  send(data: ResultJobData): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, done: (err) => (err ? reject(err) : resolve()) });
      if (this.pending.length >= this.batch.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batch.maxWaitMs);
    });
  }

  /** Sends what is pending and waits for every batch in flight before closing the queue. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled(this.inFlight);
    await this.queue.close();
  }

  private flush(): void {
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
}
