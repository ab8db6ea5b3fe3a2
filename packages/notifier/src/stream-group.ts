import { hostname } from 'node:os';
import type { Redis, RoleContext } from '@vigil/core';

export type StreamFields = Record<string, string>;

/**
 * How often entries left unacknowledged are looked for, and so how long a read blocks: a 1 s block
 * woke an idle notifier's two stream readers every second for nothing (close() disconnects the
 * reader, so a longer block delays no shutdown, and new entries still wake it at once).
 */
const CLAIM_EVERY_MS = 5_000;
type StreamEntry = [id: string, fields: string[]];

export interface StreamGroupOptions {
  /** A connection of its own: the group blocks on it reading. */
  reader: Redis;
  /** The consumer group: every notifier joins it, so each entry is handled by one of them. */
  group: string;
  /** The streams read, and where the group starts when it is new: `0` (all of it) or `$` (what comes next). */
  streams: readonly { key: string; from: '0' | '$' }[];
  /** Handles one entry; a throw leaves it pending, to be taken over and tried again. */
  handle(stream: string, entryId: string, fields: StreamFields): Promise<void>;
  /** What log lines call it. */
  name: string;
  /** Entries a consumer took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
}

/**
 * Reads Redis streams in a consumer group until closed: an entry is acknowledged once handled, and an
 * entry that a crashed consumer held, or whose handling failed, is taken over after `claimIdleMs`.
 */
export class StreamGroup {
  private readonly consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly ctx: Pick<RoleContext, 'redis' | 'log'>,
    private readonly options: StreamGroupOptions,
  ) {}

  async start(): Promise<void> {
    for (const { key, from } of this.options.streams) {
      await this.ctx.redis.xgroup('CREATE', key, this.options.group, from, 'MKSTREAM').catch((err: Error) => {
        if (!err.message.includes('BUSYGROUP')) throw err;
      });
    }
    this.running = this.loop();
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.options.reader.disconnect();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { reader, group, streams, name } = this.options;
    const { log } = this.ctx;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim >= CLAIM_EVERY_MS) {
          lastClaim = Date.now();
          await this.takeOverAbandoned();
        }
        const keys = streams.map((stream) => stream.key);
        const reply = (await reader.xreadgroup(
          'GROUP',
          group,
          this.consumer,
          'COUNT',
          50,
          'BLOCK',
          CLAIM_EVERY_MS,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as [string, StreamEntry[]][] | null;
        for (const [stream, entries] of reply ?? []) await this.handleAll(stream, entries);
      } catch (err) {
        if (this.stopping) break;
        log.warn({ err: (err as Error).message }, `${name}: stream read failed; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async takeOverAbandoned(): Promise<void> {
    const { group, streams, claimIdleMs = 30_000 } = this.options;
    const { redis } = this.ctx;
    for (const { key } of streams) {
      const [, entries] = (await redis.xautoclaim(key, group, this.consumer, claimIdleMs, '0-0', 'COUNT', 50)) as [
        string,
        StreamEntry[],
      ];
      // Entries deleted from the stream come back as nil: nothing to handle.
      await this.handleAll(
        key,
        entries.filter((entry) => Array.isArray(entry?.[1])),
      );
    }
  }

  private async handleAll(stream: string, entries: StreamEntry[]): Promise<void> {
    for (const [entryId, list] of entries) {
      const fields: StreamFields = {};
      for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] ?? ''] = list[i + 1] ?? '';
      try {
        await this.options.handle(stream, entryId, fields);
        await this.ctx.redis.xack(stream, this.options.group, entryId);
      } catch (err) {
        this.ctx.log.warn({ err: (err as Error).message, entry: entryId }, `${this.options.name}: will retry`);
      }
    }
  }
}
