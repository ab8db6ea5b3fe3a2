import { RESULTS_QUEUE, type Redis, type ResultJobData, resultJobId } from '@vigil/core';
import { Queue } from 'bullmq';

const RESULT_JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { count: 10_000 } } as const;

interface Pending {
  data: ResultJobData;
  done: (err?: unknown) => void;
}

/**
 * Sends results to the `results` queue, many per round trip: results that finish within a few
 * milliseconds of each other go in one `addBulk`. Each `send` resolves only once its result is in
 * Redis, so the probe job completes after, never before, its result is safe.
 */
export class ResultSink {
  private readonly queue: Queue<ResultJobData>;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly batch = { maxSize: 200, maxWaitMs: 2 },
  ) {
    this.queue = new Queue<ResultJobData>(RESULTS_QUEUE, { connection, prefix });
  }

  send(data: ResultJobData): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, done: (err) => (err ? reject(err) : resolve()) });
      if (this.pending.length >= this.batch.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batch.maxWaitMs);
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.queue.close();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const jobs = batch.map(({ data }) => ({
      name: 'result',
      data,
      opts: { ...RESULT_JOB_OPTIONS, jobId: resultJobId(data.result) },
    }));
    this.queue.addBulk(jobs).then(
      () => {
        for (const item of batch) item.done();
      },
      (err: unknown) => {
        for (const item of batch) item.done(err);
      },
    );
  }
}
