import { probeQueueName, processMetrics, resultBacklog } from '@vigil/core';
import { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import type { SchedulerContext } from './scheduler-context.js';

/** A scrape never waits on Redis longer than this; a queue that does not answer in time is left out. */
const COUNT_TIMEOUT_MS = 1_000;

type DepthGauge = Gauge<'queue' | 'state'>;

/** Every live QueueDepths of the process: one per scheduler (tests run several). */
const sources = new Set<QueueDepths>();
let gauge: DepthGauge | undefined;

/** Created once per process; each scrape asks Redis afresh, so the depths are never stale. */
function depthGauge(): DepthGauge {
  gauge ??= new Gauge({
    name: 'vigil_queue_depth',
    help: 'Jobs in each probe queue, and result batches in the result streams, by state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [processMetrics()],
    async collect() {
      this.reset();
      await Promise.all([...sources].map((source) => source.report(this)));
    },
  });
  return gauge;
}

type QueueDepthsContext = Pick<SchedulerContext, 'connection' | 'keys' | 'vantages' | 'log'>;

/** The `queue` label of the result streams' figures (the results queue's name, so dashboards keep working). */
const RESULTS_LABEL = 'results';

/**
 * `vigil_queue_depth` for the probe queue of every vantage and the result streams (`waiting`: not
 * yet read; `active`: read, not yet acknowledged): a backlog there is the first sign probers or
 * notifiers cannot keep up. The scheduler reports it, knowing the vantages.
 */
export class QueueDepths {
  private readonly queues: Queue[];

  constructor(private readonly ctx: QueueDepthsContext) {
    this.queues = ctx.vantages
      .map(probeQueueName)
      // A reader: it leaves the queue's settings (its events stream's length) to the scheduler's sync.
      .map(
        (name) =>
          new Queue(name, { connection: ctx.connection, prefix: ctx.keys.queuePrefix(name), skipMetasUpdate: true }),
      );
    depthGauge();
    sources.add(this);
  }

  /** Sets each queue's depths; counted in one Lua call per queue, all queues at once. */
  async report(target: DepthGauge): Promise<void> {
    await Promise.all([
      this.reportResults(target),
      ...this.queues.map(async (queue) => {
        const counts = await withTimeout(queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active')).catch(
          (err: unknown) => this.ctx.log.warn({ err, queue: queue.name }, 'queue depth not read'),
        );
        if (!counts) return;
        // Prioritized jobs, and those of a paused queue, wait in lists of their own.
        const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0);
        target.set({ queue: queue.name, state: 'waiting' }, waiting);
        target.set({ queue: queue.name, state: 'delayed' }, counts.delayed ?? 0);
        target.set({ queue: queue.name, state: 'active' }, counts.active ?? 0);
      }),
    ]);
  }

  private async reportResults(target: DepthGauge): Promise<void> {
    const backlog = await withTimeout(resultBacklog(this.ctx.connection, this.ctx.keys)).catch((err: unknown) =>
      this.ctx.log.warn({ err, queue: RESULTS_LABEL }, 'queue depth not read'),
    );
    if (!backlog) return;
    target.set({ queue: RESULTS_LABEL, state: 'waiting' }, backlog.waiting);
    target.set({ queue: RESULTS_LABEL, state: 'delayed' }, 0);
    target.set({ queue: RESULTS_LABEL, state: 'active' }, backlog.pending);
  }

  async close(): Promise<void> {
    sources.delete(this);
    // A queue on a shared connection checks the server as it starts; closing before that check answers
    // leaves it to reject after the connection is gone, unhandled.
    await Promise.all(
      this.queues.map(async (queue) => {
        await queue.waitUntilReady().catch(() => undefined);
        await queue.close();
      }),
    );
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${COUNT_TIMEOUT_MS}ms`)), COUNT_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
