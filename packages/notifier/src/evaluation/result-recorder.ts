import {
  describeIssues,
  MAX_RESULT_BATCH,
  probeResultSchema,
  RESULTS_QUEUE,
  type RecordOutcome,
  type ResultBatchData,
  type ResultJobData,
  type ResultStore,
  toFieldIssues,
} from '@vigil/core';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { NotifierContext } from '../notifier-context.js';

/** The recorder records into `results` (its history size is the store's) and takes jobs on `connection`. */
export type ResultRecorderContext = Pick<NotifierContext, 'connection' | 'keys' | 'log' | 'results'>;

export interface ResultRecorderOptions {
  concurrency?: number;
  /** Called after each result is recorded (or found to be a duplicate). */
  onRecorded?: (data: ResultJobData, outcome: RecordOutcome) => void | Promise<void>;
  /** Called once per batch with the results newly recorded (duplicates left out): the evaluator's hook. */
  onBatch?: (recorded: ResultJobData[]) => void | Promise<void>;
  /**
   * Records a batch instead of the store, answering each result's outcome in order: the
   * evaluator's `recordAndDecide`, which books the rounds in the same script as it records.
   */
  record?: (batch: ResultJobData[]) => Promise<RecordOutcome[]>;
}

/** What one batch job came to; the BullMQ return value. */
export interface BatchOutcome {
  recorded: number;
  duplicates: number;
  /** Entries refused by validation (logged with the field and what was expected). */
  invalid: number;
}

/**
 * Consumes the `results` queue: validates each result (probers run anywhere, so their output is
 * input) and records it exactly once per (check, vantage, round) — latest, history, uptime buckets.
 * A batch with some invalid entries still records the valid ones; one with none valid fails.
 */
export class ResultRecorder {
  private readonly worker: Worker<ResultBatchData, BatchOutcome>;
  private readonly store: ResultStore;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ctx: ResultRecorderContext,
    private readonly options: ResultRecorderOptions = {},
  ) {
    const { connection, keys, log } = ctx;
    this.store = ctx.results;
    this.worker = new Worker<ResultBatchData, BatchOutcome>(RESULTS_QUEUE, (job) => this.process(job), {
      connection,
      prefix: keys.queuePrefix(RESULTS_QUEUE),
      concurrency: options.concurrency ?? 16,
      autorun: false,
    });
    this.worker.on('error', (err) => log.error({ err }, 'results worker error'));
    this.worker.on('failed', (job, err) => log.warn({ err: err.message, jobId: job?.id }, 'result batch rejected'));
  }

  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  close(): Promise<void> {
    this.closing ??= this.worker.close();
    return this.closing;
  }

  private async process(job: Job<ResultBatchData, BatchOutcome>): Promise<BatchOutcome> {
    const entries: unknown = job.data?.results;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_RESULT_BATCH) {
      throw new UnrecoverableError(
        `invalid result batch: results: expected an array of 1 to ${MAX_RESULT_BATCH} results`,
      );
    }
    const valid: ResultJobData[] = [];
    const problems: string[] = [];
    entries.forEach((entry, index) => {
      const checked = checkEntry(entry, index);
      if (typeof checked === 'string') problems.push(checked);
      else valid.push(checked);
    });
    if (problems.length > 0) {
      const shown = problems.slice(0, 3).join('; ');
      if (valid.length === 0) throw new UnrecoverableError(`invalid result batch: ${shown}`);
      this.ctx.log.warn({ jobId: job.id, invalid: problems.length, problems: shown }, 'invalid results skipped');
    }
    const outcomes = this.options.record ? await this.options.record(valid) : await this.store.recordMany(valid);
    let duplicates = 0;
    const recorded: ResultJobData[] = [];
    for (const [i, data] of valid.entries()) {
      const outcome = outcomes[i] ?? 'duplicate';
      if (outcome === 'duplicate') duplicates++;
      else recorded.push(data);
      if (this.options.onRecorded) await this.options.onRecorded(data, outcome); // no await per result without one
    }
    await this.options.onBatch?.(recorded);
    return { recorded: valid.length - duplicates, duplicates, invalid: problems.length };
  }
}

/** One entry of a batch, validated; or what is wrong with it, naming the field. */
function checkEntry(entry: unknown, index: number): ResultJobData | string {
  const data = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<
    Record<keyof ResultJobData, unknown>
  >;
  const parsed = probeResultSchema.safeParse(data.result);
  if (!parsed.success) return describeIssues(toFieldIssues(parsed.error, data.result, ['results', index, 'result']));
  const { intervalMs } = data;
  if (typeof intervalMs !== 'number' || !(intervalMs > 0)) {
    return `results[${index}].intervalMs: expected a positive number of milliseconds`;
  }
  return { result: parsed.data, intervalMs };
}
