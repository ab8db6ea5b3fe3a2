import { type Job, Queue, Worker, type WorkerOptions } from 'bullmq';
import type { NotifierContext } from './notifier-context.js';

/**
 * A BullMQ queue and the worker that drains it, started and closed together (worker first, so
 * nothing in flight is cut off): the shape the escalation and delivery queues share.
 */
export class JobQueue<Data, Result> {
  readonly queue: Queue<Data, Result>;
  readonly worker: Worker<Data, Result>;
  private closing: Promise<void> | undefined;

  constructor(
    ctx: Pick<NotifierContext, 'connection' | 'keys' | 'log'>,
    options: {
      name: string;
      concurrency: number;
      process: (job: Job<Data, Result>) => Promise<Result>;
      /** When a job whose worker went silent (its lock not renewed) is taken over, and how often. */
      takeover?: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;
      /** The delay before a retry of a job whose backoff type is not BullMQ's own. */
      backoffStrategy?: NonNullable<WorkerOptions['settings']>['backoffStrategy'];
    },
  ) {
    const { connection, keys, log } = ctx;
    const { name } = options;
    this.queue = new Queue<Data, Result>(name, { connection, prefix: keys.queuePrefix(name) });
    this.worker = new Worker<Data, Result>(name, options.process, {
      connection,
      prefix: keys.queuePrefix(name),
      concurrency: options.concurrency,
      autorun: false,
      ...options.takeover,
      ...(options.backoffStrategy && { settings: { backoffStrategy: options.backoffStrategy } }),
    });
    this.worker.on('error', (err) => log.error({ err, queue: name }, 'worker error'));
  }

  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await this.queue.close();
    })();
    return this.closing;
  }
}
