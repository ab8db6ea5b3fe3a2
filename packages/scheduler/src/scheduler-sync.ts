import { encodeSlotTargets, probeQueueName, SLOT_FINGERPRINT_LENGTH } from '@vigil/core';
import { type JobSchedulerJson, Queue } from 'bullmq';
import { type DesiredScheduler, vantageOfScheduler } from './desired-schedulers.js';
import type { SchedulerContext } from './scheduler-context.js';

/** What options every slot (and probe) job carries: no retries (a late probe is a wrong probe), no leftovers. */
export const PROBE_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
} as const;

/**
 * How many entries BullMQ keeps in a probe queue's events stream (10,000 unless told). Nothing in
 * Vigil reads it (no QueueEvents), and a slot job's progress event holds every check it has done,
 * so 10,000 of them were tens of MB a vantage; the last 100 are left for someone looking by hand.
 */
export const PROBE_QUEUE_EVENTS_MAX_LEN = 100;

/** Schedulers changed at once: their commands share round trips instead of waiting on each other. */
const PARALLEL = 100;

/** Runs `work` on every item, `PARALLEL` at a time; each item's own steps stay in order. */
async function inChunks<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL) await Promise.all(items.slice(i, i + PARALLEL).map(work));
}

export interface SyncReport {
  /** Slot job schedulers created or changed. */
  upserted: number;
  removed: number;
  unchanged: number;
  /** Slots whose members were written (a check joined, left or changed). */
  membersWritten: number;
}

/**
 * Makes the slot job schedulers and their members in Redis match `desired`. What was applied is
 * remembered in a hash of fingerprints, so a reconcile touches only what changed: a member change
 * rewrites the slot's string (one MULTI) and leaves its job scheduler alone. `thorough` also
 * compares with the schedulers each queue really has and reads each slot's members fingerprint,
 * restoring lost ones and removing ones nobody remembers — which is how the per-check schedulers of
 * older versions are moved to slots (and a slot layout's fingerprint, how older slots are rewritten).
 */
export class SchedulerSync {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly ctx: Pick<SchedulerContext, 'redis' | 'connection' | 'keys' | 'log'>) {}

  async apply(
    desired: ReadonlyMap<string, DesiredScheduler>,
    vantageIds: readonly string[],
    thorough: boolean,
  ): Promise<SyncReport> {
    const { redis, keys } = this.ctx;
    const applied = await redis.hgetall(keys.schedulersApplied);
    const existing = thorough ? new Set(await this.existing(vantageIds)) : undefined;
    const heads = thorough ? await this.slotHeads(desired) : undefined;
    const report: SyncReport = { upserted: 0, removed: 0, unchanged: 0, membersWritten: 0 };
    await inChunks([...desired.values()], async (slot) => {
      const [fingerprint, membersFingerprint] = (applied[slot.id] ?? '').split('|');
      const sameScheduler = fingerprint === slot.fingerprint && (existing?.has(slot.id) ?? true);
      const sameMembers =
        membersFingerprint === slot.membersFingerprint &&
        (heads?.get(slot.id) ?? slot.membersFingerprint) === slot.membersFingerprint;
      if (sameScheduler && sameMembers) {
        report.unchanged++;
        return;
      }
      // Members first: a new slot's first job must find them. The hashes of the layout before go.
      if (!sameMembers) {
        await redis
          .multi()
          .set(
            keys.slot(slot.vantage, slot.id),
            encodeSlotTargets(slot.membersFingerprint, Object.values(slot.targets)),
          )
          .del(keys.slotMembers(slot.vantage, slot.id), keys.slotTargets(slot.vantage, slot.id))
          .exec();
        report.membersWritten++;
      }
      if (!sameScheduler) {
        await this.queue(slot.vantage).upsertJobScheduler(
          slot.id,
          { every: slot.every, offset: slot.offset },
          { name: 'slot', data: slot.data, opts: PROBE_JOB_OPTIONS },
        );
        report.upserted++;
      } else report.unchanged++;
      await redis.hset(keys.schedulersApplied, slot.id, `${slot.fingerprint}|${slot.membersFingerprint}`);
    });
    const stale = new Set(Object.keys(applied).filter((id) => !desired.has(id)));
    for (const id of existing ?? []) if (!desired.has(id)) stale.add(id);
    await inChunks([...stale], async (id) => {
      const vantage = vantageOfScheduler(id);
      if (vantage !== undefined) {
        await this.queue(vantage).removeJobScheduler(id);
        await redis.del(keys.slot(vantage, id), keys.slotMembers(vantage, id), keys.slotTargets(vantage, id));
      }
      await redis.hdel(keys.schedulersApplied, id);
      report.removed++;
    });
    return report;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }

  /** The members' fingerprint each slot's string holds now: a thorough reconcile restores lost ones. */
  private async slotHeads(desired: ReadonlyMap<string, DesiredScheduler>): Promise<Map<string, string>> {
    const slots = [...desired.values()];
    const pipeline = this.ctx.redis.pipeline();
    for (const slot of slots)
      pipeline.getrange(this.ctx.keys.slot(slot.vantage, slot.id), 0, SLOT_FINGERPRINT_LENGTH - 1);
    const replies = (await pipeline.exec()) ?? [];
    return new Map(slots.map((slot, i) => [slot.id, String(replies[i]?.[1] ?? '')]));
  }

  private async existing(vantageIds: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const vantage of vantageIds) {
      // BullMQ reads the ids, then each scheduler: one removed in between comes back undefined.
      const found: (JobSchedulerJson | undefined)[] = await this.queue(vantage).getJobSchedulers(0, -1);
      for (const scheduler of found) {
        const id = scheduler?.id ?? scheduler?.key;
        if (id) ids.push(id);
      }
    }
    return ids;
  }

  private queue(vantage: string): Queue {
    let queue = this.queues.get(vantage);
    if (!queue) {
      const name = probeQueueName(vantage);
      queue = new Queue(name, {
        connection: this.ctx.connection,
        prefix: this.ctx.keys.queuePrefix(name),
        streams: { events: { maxLen: PROBE_QUEUE_EVENTS_MAX_LEN } },
      });
      queue.on('error', (err) => this.ctx.log.error({ err, vantage }, 'probe queue error'));
      this.queues.set(vantage, queue);
    }
    return queue;
  }
}
