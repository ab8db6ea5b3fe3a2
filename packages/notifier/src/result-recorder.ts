import {
  describeIssues,
  type Logger,
  probeResultSchema,
  RESULTS_QUEUE,
  type RecordOutcome,
  type Redis,
  type RedisKeys,
  type ResultJobData,
  ResultStore,
  toFieldIssues,
} from '@vigil/core';
import { type Job, UnrecoverableError, Worker } from 'bullmq';

export interface ResultRecorderOptions {
  redis: Redis;
  connection: Redis;
  keys: RedisKeys;
  log: Logger;
  historySize?: number;
  concurrency?: number;
  /** Called after each result is recorded (or found to be a duplicate): the evaluator's hook. */
  onRecorded?: (data: ResultJobData, outcome: RecordOutcome) => void | Promise<void>;
}

/**
 * Consumes the `results` queue: validates each result (probers run anywhere, so their output is
 * input) and records it exactly once per (check, vantage, round) — latest, history, uptime buckets.
 */
export class ResultRecorder {
  private readonly worker: Worker<ResultJobData, RecordOutcome>;
  private readonly store: ResultStore;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResultRecorderOptions) {
    const { redis, connection, keys, log } = options;
    this.store = new ResultStore({ redis, keys, ...(options.historySize && { historySize: options.historySize }) });
    this.worker = new Worker<ResultJobData, RecordOutcome>(RESULTS_QUEUE, (job) => this.process(job), {
      connection,
      prefix: keys.prefix,
      concurrency: options.concurrency ?? 64,
      autorun: false,
    });
    this.worker.on('error', (err) => log.error({ err }, 'results worker error'));
    this.worker.on('failed', (job, err) => log.warn({ err: err.message, jobId: job?.id }, 'result rejected'));
  }

  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  close(): Promise<void> {
    this.closing ??= this.worker.close();
    return this.closing;
  }

  private async process(job: Job<ResultJobData, RecordOutcome>): Promise<RecordOutcome> {
    const parsed = probeResultSchema.safeParse(job.data?.result);
    const intervalMs = job.data?.intervalMs;
    if (!parsed.success) {
      throw new UnrecoverableError(
        `invalid result: ${describeIssues(toFieldIssues(parsed.error, job.data?.result, ['result']))}`,
      );
    }
    if (typeof intervalMs !== 'number' || !(intervalMs > 0)) {
      throw new UnrecoverableError('invalid result: intervalMs: expected a positive number of milliseconds');
    }
    const outcome = await this.store.record(parsed.data, intervalMs);
    await this.options.onRecorded?.({ result: parsed.data, intervalMs }, outcome);
    return outcome;
  }
}
