import { RESULTS_QUEUE } from '@vigil/core';
import type { WebContext } from '../../context.js';
import { type QueueLag, QueueLagReader } from './queue-lag.js';

/** The results waiting for the notifier, read one way: behind this one function, so a move of results to another transport changes only this file. */
export interface ResultBacklog {
  read(): Promise<QueueLag>;
  close(): Promise<void>;
}

/** Today result batches wait in the BullMQ `results` queue. */
export function resultBacklog(ctx: Pick<WebContext, 'redis' | 'keys' | 'clock'>): ResultBacklog {
  return new QueueLagReader(ctx, RESULTS_QUEUE);
}
