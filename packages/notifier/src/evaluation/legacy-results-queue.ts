import { RESULTS_QUEUE, type ResultBatchData } from '@vigil/core';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { NotifierContext } from '../notifier-context.js';

/** Job states in which a batch of the old queue may still be recorded. */
const LEFT = ['wait', 'active', 'delayed', 'prioritized', 'paused'] as const;
const CHECK_EVERY_MS = 1_000;

/**
 * Before result streams, probers sent batches as jobs of the BullMQ `results` queue. A notifier of
 * this version records what an older prober left there, once: if the queue holds a job when it
 * starts, it runs a worker on it until nothing is left (an old notifier's active jobs come back
 * when BullMQ finds them stalled), then stops. An empty queue costs one count at start.
 */
export async function drainLegacyResults(
  ctx: Pick<NotifierContext, 'connection' | 'keys' | 'log'>,
  options: { concurrency: number; handle: (data: unknown) => Promise<unknown>; stopped: () => boolean },
): Promise<void> {
  const { connection, keys, log } = ctx;
  const prefix = keys.queuePrefix(RESULTS_QUEUE);
  const queue = new Queue<ResultBatchData>(RESULTS_QUEUE, { connection, prefix });
  const left = async () => Object.values(await queue.getJobCounts(...LEFT)).reduce((sum, n) => sum + n, 0);
  try {
    const atStart = await left();
    if (atStart === 0) return;
    log.info({ jobs: atStart }, 'recording the result batches left in the old results queue');
    const worker = new Worker<ResultBatchData>(
      RESULTS_QUEUE,
      async (job) => {
        try {
          return await options.handle(job.data?.results);
        } catch (err) {
          // A batch with nothing valid in it never will have: fail it for good, as the old recorder did.
          if ((err as Error).name === 'InvalidResultBatch') throw new UnrecoverableError((err as Error).message);
          throw err;
        }
      },
      { connection, prefix, concurrency: options.concurrency },
    );
    worker.on('error', (err) => log.error({ err }, 'old results queue worker error'));
    try {
      while (!options.stopped() && (await left()) > 0) await new Promise((wake) => setTimeout(wake, CHECK_EVERY_MS));
    } finally {
      await worker.close();
    }
    if (!options.stopped()) log.info('old results queue drained');
  } finally {
    await queue.close();
  }
}
