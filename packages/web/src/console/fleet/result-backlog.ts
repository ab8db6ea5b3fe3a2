import { resultBacklog as streamBacklog } from '@vigil/core';
import type { WebContext } from '../../context.js';
import type { QueueLag } from './queue-lag.js';

/** The results waiting for the notifier, read one way: behind this one function, so a move of results to another transport changes only this file. */
export interface ResultBacklog {
  read(): Promise<QueueLag>;
  close(): Promise<void>;
}

/** What the fleet panel calls the result streams. */
const RESULTS_NAME = 'results';

type BacklogContext = Pick<WebContext, 'redis' | 'keys' | 'clock'>;

/**
 * Result batches wait in a Redis stream per shard (core's `resultBacklog`: unread plus read and not
 * yet acknowledged). A notifier deletes an entry once it is recorded, so each stream's first entry
 * is the oldest batch not yet done, and its id's first part is when it was added (ms).
 */
export function resultBacklog(ctx: BacklogContext): ResultBacklog {
  return {
    async read(): Promise<QueueLag> {
      const oldest = ctx.redis.pipeline();
      for (let shard = 0; shard < ctx.keys.shards; shard++)
        oldest.xrange(ctx.keys.resultStream(shard), '-', '+', 'COUNT', 1);
      const [backlog, firsts] = await Promise.all([streamBacklog(ctx.redis, ctx.keys), oldest.exec()]);
      let addedAt: number | undefined;
      for (const [err, entries] of firsts ?? []) {
        if (err) throw err;
        const id = (entries as [string, string[]][] | null)?.[0]?.[0];
        const at = id === undefined ? Number.NaN : Number(id.split('-')[0]);
        if (Number.isFinite(at)) addedAt = Math.min(addedAt ?? at, at);
      }
      const waiting = backlog.waiting + backlog.pending;
      return {
        queue: RESULTS_NAME,
        waiting,
        oldestAgeMs: addedAt === undefined || waiting === 0 ? null : Math.max(0, ctx.clock.now() - addedAt),
      };
    },
    // Reads go through the role's shared connection: nothing of its own to close.
    close: async () => undefined,
  };
}
