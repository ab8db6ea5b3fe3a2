import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CheckRegistry, type FullRead, fullReadDue } from '@vigil/core';
import { LeaderLease } from './leader-lease.js';
import { QueueDepths } from './queue-metrics.js';
import type { SchedulerContext } from './scheduler-context.js';
import { SchedulerSync, type SyncReport } from './scheduler-sync.js';
import { SlotPlan } from './slot-plan.js';

/** How long announcements of changes the version already counts may take to arrive. */
const BEHIND_GRACE_MS = 250;

/** Changed checks read from the registry per round trip. */
const READ_BATCH = 1_000;

export interface SchedulerOptions {
  /**
   * How often a full reconcile (every check, every job scheduler in Redis) runs with no change
   * announced: a safety net for a missed message, so it can be rare — it reads the whole fleet.
   */
  resyncEveryMs?: number;
  /** How long the lease lasts without renewal; a crashed leader is replaced after this. */
  leaseMs?: number;
  /** The most checks in one slot job (`SLOT_CHUNK_SIZE` unless set); a larger slot is split. */
  slotChunkSize?: number;
  /**
   * How long the plan (every check's slot chunks) is kept up to date from the registry's change
   * announcements alone, while they account for every step of its version: a change then costs the
   * chunks it touches, not a read and slotting of every check (minutes at a million). Past this, and
   * a hundred times what the last read took (`fullReadDue`), a thorough reconcile reads the registry
   * again whatever the version says.
   */
  rereadEveryMs?: number;
}

/**
 * Keeps the slot job schedulers and their members in step with the check registry. Changes apply live (announced on a
 * channel) to a plan kept between syncs, each costing the chunks it touches; a periodic full
 * reconcile, and a registry read when the version moved past what was heard, catch anything
 * missed. Only the lease holder reconciles (and keeps a plan), so
 * two schedulers never fight; the schedulers themselves live in Redis and keep firing while no
 * scheduler process runs at all.
 */
export class Scheduler {
  private readonly registry: CheckRegistry;
  private readonly lease: LeaderLease;
  private readonly sync: SchedulerSync;
  private readonly depths: QueueDepths;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<SyncReport | undefined> | undefined;
  private again = false;
  /** Whether this process held the lease at its last attempt: a new leader reconciles thoroughly. */
  private leading = false;
  private lastThorough = 0;
  private unwatch: (() => Promise<void>) | undefined;
  private closing: Promise<void> | undefined;
  /** The desired state kept between syncs, from the registry read at `planVersion` and every change heard since. */
  private plan: SlotPlan | undefined;
  private planVersion = 0;
  /** When the plan's registry read ended, and how long it took. */
  private planRead: FullRead = { at: 0, tookMs: 0 };
  /** Whether announcements are followed (from a registry read on, while leading). */
  private following = false;
  /** Checks announced since the plan's read: the version steps they account for, and their ids to read. */
  private announced = 0;
  private dirty = new Set<string>();
  /** A sync failed midway: the plan may be ahead of Redis, so the next one compares every slot. */
  private compareAll = false;

  constructor(
    private readonly ctx: SchedulerContext,
    private readonly options: SchedulerOptions = {},
  ) {
    this.registry = ctx.checks;
    this.lease = new LeaderLease({
      redis: ctx.redis,
      key: ctx.keys.schedulerLeader,
      holder: `${process.pid}-${randomUUID().slice(0, 8)}`,
      ttlMs: options.leaseMs ?? 15_000,
    });
    this.sync = new SchedulerSync(ctx);
    this.depths = new QueueDepths(ctx);
  }

  async start(): Promise<void> {
    this.unwatch = await this.registry.watch(this.ctx.blocking.registry, (change) => this.heard(change));
    await this.reconcile(true);
    this.timer = setInterval(() => void this.tick(), (this.options.leaseMs ?? 15_000) / 3);
  }

  /**
   * Every third of a lease: the leader renews it, and reconciles in full only when the resync period
   * is up; a follower tries to take the lease, and reconciles in full the moment it does.
   */
  private async tick(): Promise<void> {
    const due = Date.now() - this.lastThorough >= (this.options.resyncEveryMs ?? 60_000);
    if (due || !this.leading) {
      await this.reconcile(true);
      return;
    }
    this.leading = await this.lease.acquireOrRenew().catch(() => false);
  }

  /**
   * Reconciles once (if this process holds the lease); concurrent calls coalesce into one more run.
   * Resolves with what changed, or undefined when another process leads.
   */
  async reconcile(thorough = false): Promise<SyncReport | undefined> {
    if (this.closing) return undefined;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runOnce(thorough).finally(() => {
      this.running = undefined;
      if (this.again && !this.closing) {
        this.again = false;
        void this.reconcile();
      }
    });
    return this.running;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      clearTimeout(this.debounce);
      await this.unwatch?.();
      await this.running?.catch(() => {});
      await this.lease.release().catch(() => {});
      await this.sync.close();
      await this.depths.close();
    })();
    return this.closing;
  }

  private heard(change: { ids: readonly string[] }): void {
    if (this.following) {
      this.announced += change.ids.length;
      for (const id of change.ids) this.dirty.add(id);
    }
    this.soon();
  }

  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reconcile(), 50);
  }

  /**
   * Whether the registry's version moved more than the announcements heard account for (one lost:
   * a subscriber reconnecting). The version is read first, then a PING on the subscriber's connection
   * returns after every announcement published before that read (on one Redis).
   */
  private async behind(): Promise<boolean> {
    const version = await this.registry.version();
    await this.ctx.blocking.registry.ping();
    if (version - this.planVersion <= this.announced) return false;
    // On a Redis Cluster the subscriber is a connection of its own (no barrier) and announcements
    // travel the cluster bus: those in flight are given a moment before a full read is called for.
    await sleep(BEHIND_GRACE_MS);
    return version - this.planVersion > this.announced;
  }

  /**
   * Reads every check and plans their slots afresh, each keeping its chunk in the plan before. The
   * version is read first, then every announcement it counts is let arrive (a PING on the
   * subscriber's connection; on a Cluster, BEHIND_GRACE_MS more) before the count of those heard
   * starts at 0: one counted in the version and heard after the reset would stand for a later lost one
   * (review). One made after the version read and heard before the reset is counted in neither: the
   * next sync reads the registry again, once too often rather than once too few. A change made while
   * reading is heard (and read again) after.
   */
  private async reread(): Promise<SlotPlan> {
    const previous = this.plan;
    this.plan = undefined;
    this.following = true;
    const version = await this.registry.version();
    await this.ctx.blocking.registry.ping();
    // A Cluster client (the one with nodes()): no barrier, announcements in flight are given the grace.
    if (typeof (this.ctx.redis as { nodes?: unknown }).nodes === 'function') await sleep(BEHIND_GRACE_MS);
    this.announced = 0;
    this.dirty.clear();
    this.planVersion = version;
    const { vantages, keys } = this.ctx;
    const options = { vantages, chunkSize: this.options.slotChunkSize, shards: keys.shards, shardOf: keys.shardOf };
    const startedAt = performance.now();
    this.plan = await SlotPlan.read((visit) => this.registry.eachPage(visit), options, previous);
    this.planRead = { at: Date.now(), tookMs: performance.now() - startedAt };
    return this.plan;
  }

  /** Reads the checks announced since the last sync into the plan; answers the slot chunks they touched. */
  private async readAnnounced(plan: SlotPlan): Promise<Set<string>> {
    const ids = [...this.dirty];
    this.dirty.clear();
    const touched = new Set<string>();
    try {
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        const batch = ids.slice(i, i + READ_BATCH);
        const checks = await this.registry.getMany(batch);
        batch.forEach((id, at) => {
          const check = checks[at];
          for (const slot of plan.set(id, check && plan.toPlanned(check))) touched.add(slot);
        });
      }
    } catch (err) {
      for (const id of ids) this.dirty.add(id);
      this.compareAll = true;
      throw err;
    }
    return touched;
  }

  /** Another process leads: nothing kept, nothing followed. */
  private drop(): void {
    this.plan = undefined;
    this.following = false;
    this.dirty.clear();
  }

  private async runOnce(thorough: boolean): Promise<SyncReport | undefined> {
    const { log, vantages } = this.ctx;
    try {
      const leads = await this.lease.acquireOrRenew();
      const takingOver = leads && !this.leading;
      this.leading = leads;
      if (!leads) {
        this.drop();
        return undefined;
      }
      const full = thorough || takingOver;
      if (full) this.lastThorough = Date.now();
      const stale = full && fullReadDue(this.planRead, this.options.rereadEveryMs ?? 15 * 60_000, Date.now());
      let plan = this.plan;
      let only: Set<string> | undefined;
      // Most of the fleet announced at once (a large `vigil apply`): one read of it all is cheaper.
      const bulk = plan !== undefined && this.dirty.size > plan.checkCount / 4;
      if (!plan || takingOver || stale || bulk || (await this.behind())) plan = await this.reread();
      else if (!this.compareAll) only = await this.readAnnounced(plan);
      else await this.readAnnounced(plan);
      this.compareAll = true;
      const report = await this.sync.apply(plan, vantages, { thorough: full, ...(only && { only }) });
      this.compareAll = false;
      if (report.upserted > 0 || report.removed > 0 || report.membersWritten > 0 || report.targetsWritten > 0)
        log.info({ ...report, checks: plan.checkCount }, 'schedulers reconciled');
      return report;
    } catch (err) {
      log.error({ err }, 'reconcile failed; retrying at the next tick');
      return undefined;
    }
  }
}
