import { probeQueueName } from '@vigil/core';
import { Queue } from 'bullmq';
import type { WebContext } from '../../context.js';

/** How far behind one queue is: jobs ready and not taken, and how long the oldest has waited. */
export interface QueueLag {
  queue: string;
  waiting: number;
  /** Since the oldest waiting job became due, ms; null when none waits. */
  oldestAgeMs: number | null;
}

type LagContext = Pick<WebContext, 'redis' | 'keys' | 'clock'>;

/**
 * Reads one BullMQ queue's backlog through BullMQ itself (its counts script and its oldest waiting
 * job), as the scheduler's `vigil_queue_depth` does, never its key layout.
 */
export class QueueLagReader {
  private readonly queue: Queue;

  constructor(
    private readonly ctx: LagContext,
    name: string,
  ) {
    // A reader: it leaves the queue's settings (its events stream's length) to the scheduler.
    this.queue = new Queue(name, { connection: ctx.redis, prefix: ctx.keys.queuePrefix(name), skipMetasUpdate: true });
  }

  async read(): Promise<QueueLag> {
    const [counts, oldest] = await Promise.all([
      this.queue.getJobCounts('waiting', 'prioritized'),
      // Ascending: the end of the wait list, the job waiting longest.
      this.queue.getJobs(['wait'], 0, 0, true),
    ]);
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0);
    const job = oldest[0];
    // A scheduled probe is created `delay` ms before it is due: it waits from timestamp + delay.
    const due = job ? job.timestamp + (job.delay ?? 0) : undefined;
    return {
      queue: this.queue.name,
      waiting,
      oldestAgeMs: due === undefined || waiting === 0 ? null : Math.max(0, this.ctx.clock.now() - due),
    };
  }

  async close(): Promise<void> {
    // On a shared connection a queue checks the server as it starts; closing before that answers
    // would leave the check to reject unhandled (as the scheduler's queue metrics note).
    await this.queue.waitUntilReady().catch(() => undefined);
    await this.queue.close();
  }
}

/** One reader per vantage's probe queue. */
export function probeQueueLag(ctx: LagContext & Pick<WebContext, 'config'>): QueueLagReader[] {
  return ctx.config.vantages.map((vantage) => new QueueLagReader(ctx, probeQueueName(vantage.id)));
}
