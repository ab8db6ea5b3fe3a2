import {
  MAX_RESULT_BATCH,
  RESULT_STREAM_GROUP,
  type RecordOutcome,
  type Redis,
  type ResultJobData,
  type ResultStore,
} from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import { countDroppedResults } from '../notifier-metrics.js';
import { drainLegacyResults } from './legacy-results-queue.js';
import {
  type EntryGroup,
  groupEntries,
  joinReads,
  MERGED_RESULTS,
  recordGroups,
  type StreamEntry,
  settleEntries,
  withoutPoison,
} from './result-entries.js';
import { checkEntry } from './result-entry.js';

/**
 * The recorder records into `results` (its history size is the store's) and reads on `connection`
 * (it opens a duplicate of it for its blocking reads, as BullMQ did).
 */
export type ResultRecorderContext = Pick<NotifierContext, 'connection' | 'keys' | 'log' | 'results'>;

export interface ResultRecorderOptions {
  /** Batches read at once (`XREADGROUP … COUNT`) and recorded side by side. */
  concurrency?: number;
  /**
   * A batch read by a notifier that did not acknowledge it (it crashed) is taken over after this long.
   * Under `MAX_CLAIM_IDLE_MS`: the store remembers a recorded result for no less than that long, so
   * a batch taken over sooner records nothing twice.
   */
  claimIdleMs?: number;
  /** Deliveries after which a batch that failed every one is dropped as poison (default `MAX_DELIVERIES`). */
  maxDeliveries?: number;
  /**
   * After a read that found the stream(s) drained, wait this long and read once more before
   * recording (default `LINGER_MS`; 0: record what one read found). Every vantage probes a slot at
   * the same moment, but each prober sends its batch on its own flush timer: waiting lets a check's
   * results from every vantage be recorded by one script call, side by side (one HMGET, SETRANGE
   * and HSET for all, its round decided without a book), not one vantage's batch a call.
   */
  lingerMs?: number;
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

/** What one batch came to. */
export interface BatchOutcome {
  recorded: number;
  duplicates: number;
  /** Entries refused by validation (logged with the field and what was expected). */
  invalid: number;
}

/** A batch that can never be recorded (nothing valid in it): acknowledged and dropped, not retried. */
export class InvalidResultBatch extends Error {
  override readonly name = 'InvalidResultBatch';
}

/**
 * How long a read waits for a batch on one stream at most (less when take-overs are due sooner), and
 * how long it pauses between polls of several. An idle notifier's 1 s block was a read a second for
 * nothing; close() disconnects the reader, and a batch arriving wakes it at once.
 */
const BLOCK_MS = 5_000;
const POLL_MS = 100;
/**
 * How long a read that drained the stream waits for more before recording: a little more than a
 * prober's batch wait (250 ms by default), so each vantage's batch of a slot has arrived. A round's
 * decision waits this much longer; Redis does a third of the calls for a round's results.
 */
export const LINGER_MS = 300;

/**
 * Deliveries (the first read, then each take-over) after which a batch whose recording failed every
 * time (not an invalid one: those are dropped at once) is dropped as poison, logged with its entry id
 * and counted: enough to ride out a Redis or registry hiccup of a few minutes, few enough that one bad
 * entry is not retried forever.
 */
export const MAX_DELIVERIES = 10;

/**
 * The longest `claimIdleMs`: record-results.lua remembers a recorded result for `rememberMs`,
 * max(4 × interval, 60 s), and only within it is a result delivered again found a duplicate.
 */
export const MAX_CLAIM_IDLE_MS = 60_000;

/**
 * Consumes the result streams (one per shard) in the notifiers' consumer group: validates each
 * result (probers run anywhere, so their output is input) and records it once per (check, vantage,
 * round) — latest, history, uptime buckets. An entry is acknowledged and deleted once recorded; one a
 * crashed notifier held is taken over after `claimIdleMs` and recorded again, which records nothing
 * twice as long as the store still remembers the first recording (`rememberMs`, at least 60 s, hence
 * the bound on `claimIdleMs`); a result delivered again later than that would be recorded again. A
 * batch with some invalid entries still records the valid ones.
 */
export class ResultRecorder {
  private readonly store: ResultStore;
  private readonly reader: Redis;
  private readonly streams: string[];
  private readonly consumer = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private stopping = false;
  private running: Promise<void> | undefined;
  private legacy: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Where each stream's next take-over scan starts (XAUTOCLAIM's cursor; 0-0 again after a full pass). */
  private readonly claimCursors = new Map<string, string>();

  constructor(
    private readonly ctx: ResultRecorderContext,
    private readonly options: ResultRecorderOptions = {},
  ) {
    const idle = options.claimIdleMs;
    if (idle !== undefined && !(Number.isFinite(idle) && idle > 0 && idle < MAX_CLAIM_IDLE_MS)) {
      throw new Error(
        `claimIdleMs: expected a number of milliseconds above 0 and below ${MAX_CLAIM_IDLE_MS} (a batch taken over later could be recorded twice), got ${String(idle)}`,
      );
    }
    const { maxDeliveries } = options;
    if (maxDeliveries !== undefined && !(Number.isInteger(maxDeliveries) && maxDeliveries >= 1)) {
      throw new Error(`maxDeliveries: expected a whole number of deliveries, 1 or more, got ${String(maxDeliveries)}`);
    }
    this.store = ctx.results;
    this.reader = ctx.connection.duplicate();
    this.streams = Array.from({ length: ctx.keys.shards }, (_, shard) => ctx.keys.resultStream(shard));
  }

  /** Joins the group on every stream (from its start, so nothing added before is missed), then reads. */
  async start(): Promise<void> {
    for (const stream of this.streams) await this.createGroup(stream);
    this.running = this.loop();
    this.legacy = drainLegacyResults(this.ctx, {
      concurrency: this.concurrency,
      handle: (data) => this.recordBatch(data, undefined),
      stopped: () => this.stopping,
    }).catch((err: unknown) => this.ctx.log.warn({ err }, 'old results queue not drained'));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.reader.disconnect();
      await this.running;
      await this.legacy;
      await this.leaveGroup();
    })();
    return this.closing;
  }

  /**
   * Removes this consumer (a random name per process) from the group on every stream where it holds
   * nothing pending, so consumers do not pile up across restarts; one still holding entries stays,
   * for a peer to take them over. Best effort: a failure is logged, not thrown.
   */
  private async leaveGroup(): Promise<void> {
    await Promise.all(
      this.streams.map(async (stream) => {
        try {
          const held = (await this.ctx.connection.xpending(stream, RESULT_STREAM_GROUP, '-', '+', 1, this.consumer)) as
            | unknown[]
            | null;
          if (held && held.length > 0) return;
          await this.ctx.connection.xgroup('DELCONSUMER', stream, RESULT_STREAM_GROUP, this.consumer);
        } catch (err) {
          this.ctx.log.debug({ err: (err as Error).message, stream }, 'result stream consumer not removed');
        }
      }),
    );
  }

  /**
   * Validates and records one batch's results; throws InvalidResultBatch when none is valid. `most`:
   * the results a batch may hold, a stream entry's (`MAX_RESULT_BATCH`) or entries merged (`MERGED_RESULTS`).
   */
  private async recordBatch(
    entries: unknown,
    entryId: string | undefined,
    most = MAX_RESULT_BATCH,
  ): Promise<BatchOutcome> {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > most) {
      throw new InvalidResultBatch(`invalid result batch: results: expected an array of 1 to ${most} results`);
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
      if (valid.length === 0) throw new InvalidResultBatch(`invalid result batch: ${shown}`);
      this.ctx.log.warn({ entry: entryId, invalid: problems.length, problems: shown }, 'invalid results skipped');
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

  /**
   * Creates the group on a stream (and the stream), reading from its start; one that exists is left
   * as it is. Also called when a read answers NOGROUP: Redis lost the stream (a restart without
   * persistence, a failover, a DEL) and a prober's XADD made it anew, without the group.
   */
  private async createGroup(stream: string): Promise<void> {
    await this.ctx.connection.xgroup('CREATE', stream, RESULT_STREAM_GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  /** Recreates the group after a NOGROUP reply on `stream` (true), or rethrows any other error. */
  private async recreateGroupOn(stream: string, err: unknown): Promise<true> {
    if (!(err instanceof Error) || !err.message.includes('NOGROUP')) throw err;
    this.ctx.log.warn({ stream }, 'result stream had lost its consumer group; created it again');
    await this.createGroup(stream);
    return true;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 16;
  }

  private async loop(): Promise<void> {
    const claimEveryMs = Math.min(5_000, this.options.claimIdleMs ?? 30_000);
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim >= claimEveryMs) {
          lastClaim = Date.now();
          await this.takeOverAbandoned();
        }
        const read = await this.lingered(await this.read(Math.min(BLOCK_MS, claimEveryMs)));
        await Promise.all(read.map(([stream, entries]) => this.handle(stream, entries)));
        if (this.streams.length > 1 && read.length === 0) await new Promise((wake) => setTimeout(wake, POLL_MS));
      } catch (err) {
        if (this.stopping) break;
        this.ctx.log.warn({ err: (err as Error).message }, 'result stream read failed; retrying');
        await new Promise((wake) => setTimeout(wake, 1_000));
      }
    }
  }

  /**
   * New entries, up to `concurrency` a stream. One stream (one Redis): a read blocking up to `blockMs`
   * (0: none). Several (a Cluster's shards, each in a slot of its own): one pipelined poll of all, split
   * by node.
   */
  private async read(blockMs = 0): Promise<[string, StreamEntry[]][]> {
    const group = ['GROUP', RESULT_STREAM_GROUP, this.consumer, 'COUNT', this.concurrency] as const;
    const [only] = this.streams;
    if (only !== undefined && this.streams.length === 1) {
      try {
        const reply = (
          blockMs > 0
            ? await this.reader.xreadgroup(...group, 'BLOCK', blockMs, 'STREAMS', only, '>')
            : await this.reader.xreadgroup(...group, 'STREAMS', only, '>')
        ) as [string, StreamEntry[]][] | null;
        return reply ?? [];
      } catch (err) {
        await this.recreateGroupOn(only, err);
        return [];
      }
    }
    const pipeline = this.reader.pipeline();
    for (const stream of this.streams) pipeline.xreadgroup(...group, 'STREAMS', stream, '>');
    const replies = (await pipeline.exec()) ?? [];
    const read: [string, StreamEntry[]][] = [];
    for (const [i, [err, reply]] of replies.entries()) {
      if (err) await this.recreateGroupOn(this.streams[i] ?? '', err);
      else read.push(...((reply as [string, StreamEntry[]][] | null) ?? []));
    }
    return read;
  }

  /**
   * What a read found, and when it drained every stream (no stream gave `concurrency` entries: no
   * backlog), what one more read finds after `lingerMs`, each stream's entries in order. With a
   * backlog, reads come back full and nothing waits.
   */
  private async lingered(read: [string, StreamEntry[]][]): Promise<[string, StreamEntry[]][]> {
    const lingerMs = this.options.lingerMs ?? LINGER_MS;
    if (lingerMs <= 0 || read.length === 0 || read.some(([, entries]) => entries.length >= this.concurrency)) {
      return read;
    }
    await new Promise((wake) => setTimeout(wake, lingerMs));
    if (this.stopping) return read;
    let more: [string, StreamEntry[]][];
    try {
      more = await this.read();
    } catch (err) {
      // What the first read delivered is this consumer's (pending): recorded now, not left for a take-over.
      if (!this.stopping)
        this.ctx.log.warn({ err: (err as Error).message }, 'result stream read failed; recording what was read');
      return read;
    }
    return joinReads(read, more);
  }

  /** Entries read by a consumer that has not acknowledged them for `claimIdleMs`: a crashed notifier's. */
  private async takeOverAbandoned(): Promise<void> {
    const idle = this.options.claimIdleMs ?? 30_000;
    await Promise.all(
      this.streams.map(async (stream) => {
        const cursor = this.claimCursors.get(stream) ?? '0-0';
        const claimed = (await this.ctx.connection
          .xautoclaim(stream, RESULT_STREAM_GROUP, this.consumer, idle, cursor, 'COUNT', this.concurrency)
          .catch((err: unknown) => this.recreateGroupOn(stream, err))) as
          | [next: string, entries: StreamEntry[], deleted?: string[]]
          | true;
        if (claimed === true) {
          this.claimCursors.delete(stream);
          return;
        }
        const [next, entries, deleted = []] = claimed;
        // The next scan goes on from here, so entries behind ones that keep failing get their turn too.
        this.claimCursors.set(stream, next);
        // Pending entries the stream cap trimmed away: Redis 7 lists their ids (and forgets them), 6.2 answers them without fields.
        const trimmed = deleted.length + entries.filter(([, fields]) => !fields).length;
        if (trimmed > 0) {
          countDroppedResults('trimmed', trimmed);
          this.ctx.log.warn(
            { stream, batches: trimmed },
            'pending result batches trimmed from the stream before recording: dropped',
          );
        }
        const live = await withoutPoison(
          this.ctx,
          stream,
          this.options.maxDeliveries ?? MAX_DELIVERIES,
          entries.filter((entry): entry is [string, string[]] => entry[1] !== null),
        );
        if (live.length > 0) this.ctx.log.info({ stream, entries: live.length }, 'result batches taken over');
        await this.handle(stream, [...live, ...entries.filter(([, fields]) => !fields)]);
      }),
    );
  }

  /**
   * Records a stream's entries side by side, then deletes and acknowledges the recorded ones
   * (`settleEntries`). A failed one stays pending. Entries read together are recorded as one batch
   * (up to `MERGED_RESULTS` results, cut by check beyond: `groupEntries`): on a Cluster a prober's
   * batch arrives split by shard, and each recording is a script call per shard.
   */
  private async handle(stream: string, entries: StreamEntry[]): Promise<void> {
    // An entry trimmed away while pending comes back without fields: nothing left to record.
    const { groups, gone } = groupEntries(entries);
    const record = async ({ ids, results }: Pick<EntryGroup, 'ids' | 'results'>): Promise<boolean> => {
      const entry = ids.join(',');
      try {
        await this.recordBatch(results, entry, ids.length > 1 ? MERGED_RESULTS : MAX_RESULT_BATCH);
      } catch (err) {
        if (err instanceof InvalidResultBatch) {
          this.ctx.log.warn({ err: err.message, entry, stream }, 'result batch rejected');
        } else {
          this.ctx.log.warn({ err: (err as Error).message, entry }, 'result batch not recorded; will retry');
          return false;
        }
      }
      return true;
    };
    const done = [...gone, ...(await recordGroups(groups, record))];
    await settleEntries(this.ctx.connection, stream, done);
  }
}
