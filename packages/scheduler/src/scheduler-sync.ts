import { encodeSlotMembers, probeQueueName, SLOT_FINGERPRINT_LENGTH } from '@vigil/core';
import { type JobSchedulerJson, Queue } from 'bullmq';
import { type DesiredScheduler, vantageOfScheduler } from './desired-schedulers.js';
import { type DesiredState, desiredStateOf, type SlotHead } from './desired-state.js';
import { type NamedTargets, ProbeTargetStore } from './probe-target-store.js';
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
  /** Probe targets written or removed (a check joined, left or changed; a store repaired). */
  targetsWritten: number;
}

interface SlotChange {
  slot: DesiredScheduler;
  sameScheduler: boolean;
  sameMembers: boolean;
}

/**
 * The slots whose job scheduler or members differ from what was applied (`applied`: slot id →
 * `<scheduler>|<members>` fingerprints), or, in a thorough reconcile, from what Redis really has.
 */
function changes(
  desired: DesiredState,
  heads: Iterable<SlotHead>,
  found: {
    applied: Record<string, string>;
    existing: ReadonlySet<string> | undefined;
    held: ReadonlyMap<string, string> | undefined;
  },
): SlotChange[] {
  const { applied, existing, held } = found;
  const changed: SlotChange[] = [];
  for (const head of heads) {
    const [fingerprint, membersFingerprint] = (applied[head.id] ?? '').split('|');
    const sameScheduler = fingerprint === head.fingerprint && (existing?.has(head.id) ?? true);
    const sameMembers =
      membersFingerprint === head.membersFingerprint &&
      (held?.get(head.id) ?? head.membersFingerprint) === head.membersFingerprint;
    if (sameScheduler && sameMembers) continue;
    const slot = 'members' in head ? (head as DesiredScheduler) : desired.get(head.id);
    if (slot) changed.push({ slot, sameScheduler, sameMembers });
  }
  return changed;
}

/** Which slots an apply looks at: all of them (thorough or not), or only those a change touched. */
export interface ApplyScope {
  thorough: boolean;
  /** The slot ids a change touched: the others are taken as applied (a thorough apply ignores it). */
  only?: ReadonlySet<string>;
}

/**
 * Makes the slot job schedulers, their members and the probe targets in Redis match `desired`. What
 * was applied is remembered in a hash of fingerprints, so a reconcile touches only what changed: a
 * member change writes the targets whose revision changed, then rewrites the slot's string (one
 * MULTI), and leaves its job scheduler alone. `thorough` also
 * compares with the schedulers each queue really has and reads each slot's members fingerprint,
 * restoring lost ones and removing ones nobody remembers — which is how the per-check schedulers of
 * older versions are moved to slots (and a slot layout's fingerprint, how older slots are rewritten).
 */
export class SchedulerSync {
  private readonly queues = new Map<string, Queue>();
  private readonly targets: ProbeTargetStore;

  constructor(private readonly ctx: Pick<SchedulerContext, 'redis' | 'connection' | 'keys' | 'log'>) {
    this.targets = new ProbeTargetStore(ctx);
  }

  /**
   * `desired` a full computation or the scheduler's plan; `scope.only` limits the work to the slots
   * one change touched (their old and new chunks), so its cost follows them, not the fleet.
   */
  async apply(
    desired: ReadonlyMap<string, DesiredScheduler> | DesiredState,
    vantageIds: readonly string[],
    scope: boolean | ApplyScope,
  ): Promise<SyncReport> {
    const state = desired instanceof Map ? desiredStateOf(desired) : (desired as DesiredState);
    const { thorough, only } = typeof scope === 'boolean' ? { thorough: scope, only: undefined } : scope;
    const partial = thorough ? undefined : only;
    const report: SyncReport = { upserted: 0, removed: 0, unchanged: 0, membersWritten: 0, targetsWritten: 0 };
    const applied = partial
      ? await this.appliedOf(partial)
      : await this.ctx.redis.hgetall(this.ctx.keys.schedulersApplied);
    const existing = thorough ? new Set(await this.existing(vantageIds)) : undefined;
    const heads = partial ? [...partial].flatMap((id) => headOf(state, id)) : [...state.heads()];
    const held = thorough ? await this.slotHeads(heads) : undefined;
    const changed = changes(state, heads, { applied, existing, held });
    report.unchanged += heads.length - changed.length;
    const stale = new Set(Object.keys(applied).filter((id) => !state.has(id)));
    for (const id of existing ?? []) if (!state.has(id)) stale.add(id);
    const staleSlots = [...stale].flatMap((id) => {
      const vantage = vantageOfScheduler(id);
      return vantage === undefined ? [] : [{ id, vantage }];
    });
    const rewritten = changed.filter((change) => !change.sameMembers).map((change) => change.slot);
    const before = await this.targets.published([...rewritten, ...staleSlots]);
    // Targets first: a slot's string must never name a revision the store does not hold yet.
    report.targetsWritten += await this.writeTargets(rewritten, before);
    await inChunks(changed, (change) => this.applySlot(change, report));
    await inChunks([...stale], (id) => this.removeSlot(id, report));
    const named = state.targets();
    report.targetsWritten += await this.removeTargets(named, before);
    if (!thorough && state.shardCounts && !(await this.countsOff(state, vantageIds))) return report;
    report.targetsWritten += await this.targets.repair(named, vantageIds, this.ctx.keys.shards, thorough);
    return report;
  }

  /** The applied fingerprints of these slots (absent ones left out). */
  private async appliedOf(ids: ReadonlySet<string>): Promise<Record<string, string>> {
    if (ids.size === 0) return {};
    const list = [...ids];
    const values = await this.ctx.redis.hmget(this.ctx.keys.schedulersApplied, ...list);
    const applied: Record<string, string> = {};
    list.forEach((id, i) => {
      const value = values[i];
      if (value != null) applied[id] = value;
    });
    return applied;
  }

  /** Whether any shard of the target store holds another number of targets than `state` keeps count of. */
  private async countsOff(state: DesiredState, vantageIds: readonly string[]): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const pipeline = redis.pipeline();
    for (const vantage of vantageIds)
      for (let shard = 0; shard < keys.shards; shard++) pipeline.hlen(keys.probeTargets(vantage, shard));
    const replies = (await pipeline.exec()) ?? [];
    let at = 0;
    for (const vantage of vantageIds) {
      const counts = state.shardCounts?.(vantage) ?? [];
      for (let shard = 0; shard < keys.shards; shard++) {
        const [err, count] = replies[at++] ?? [null, 0];
        if (err) throw err;
        if (Number(count) !== (counts[shard] ?? 0)) return true;
      }
    }
    return false;
  }

  /** Members first (a new slot's first job must find them; the hashes of the layouts before go), then the job scheduler. */
  private async applySlot({ slot, sameScheduler, sameMembers }: SlotChange, report: SyncReport): Promise<void> {
    const { redis, keys } = this.ctx;
    if (!sameMembers) {
      const members = Object.entries(slot.members).map(([id, revision]) => ({ id, revision }));
      await redis
        .multi()
        .set(keys.slot(slot.vantage, slot.id), encodeSlotMembers(slot.membersFingerprint, members))
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
  }

  private async removeSlot(id: string, report: SyncReport): Promise<void> {
    const { redis, keys } = this.ctx;
    const vantage = vantageOfScheduler(id);
    if (vantage !== undefined) {
      await this.queue(vantage).removeJobScheduler(id);
      await redis.del(keys.slot(vantage, id), keys.slotMembers(vantage, id), keys.slotTargets(vantage, id));
    }
    await redis.hdel(keys.schedulersApplied, id);
    report.removed++;
  }

  /**
   * Writes the targets of rewritten slots at a revision no slot of their vantage named before (a
   * check that only moved to another chunk is not written again).
   */
  private async writeTargets(
    rewritten: readonly DesiredScheduler[],
    before: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): Promise<number> {
    const named = new Set<string>();
    for (const [slotId, members] of before)
      for (const [id, revision] of members) named.add(`${vantageOfScheduler(slotId)} ${id} ${revision}`);
    const writes = new Map<string, Map<string, string>>();
    let count = 0;
    for (const slot of rewritten)
      for (const [id, revision] of Object.entries(slot.members))
        if (!named.has(`${slot.vantage} ${id} ${revision}`)) {
          const byId = writes.get(slot.vantage) ?? new Map<string, string>();
          writes.set(slot.vantage, byId);
          if (!byId.has(id)) count++;
          byId.set(id, slot.targets[id] ?? '');
        }
    await this.targets.write(writes);
    return count;
  }

  /** Removes the targets of checks that rewritten or removed slots named and no slot of their vantage names now. */
  private async removeTargets(
    named: ReadonlyMap<string, NamedTargets>,
    before: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): Promise<number> {
    const gone = new Map<string, Set<string>>();
    for (const [slotId, members] of before) {
      const vantage = vantageOfScheduler(slotId);
      if (vantage === undefined) continue;
      for (const id of members.keys())
        if (named.get(vantage)?.get(id) === undefined) gone.set(vantage, (gone.get(vantage) ?? new Set()).add(id));
    }
    await this.targets.remove(new Map([...gone].map(([vantage, ids]) => [vantage, [...ids]])));
    let count = 0;
    for (const ids of gone.values()) count += ids.size;
    return count;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }

  /** The members' fingerprint each slot's string holds now: a thorough reconcile restores lost ones. */
  private async slotHeads(slots: readonly SlotHead[]): Promise<Map<string, string>> {
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

function headOf(state: DesiredState, id: string): SlotHead[] {
  const slot = state.get(id);
  return slot ? [slot] : [];
}
