import { randomUUID } from 'node:crypto';
import type { CheckRegistry } from '@vigil/core';
import { type DesiredScheduler, desiredSchedulers } from './desired-schedulers.js';
import { LeaderLease } from './leader-lease.js';
import { QueueDepths } from './queue-metrics.js';
import type { SchedulerContext } from './scheduler-context.js';
import { SchedulerSync, type SyncReport } from './scheduler-sync.js';

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
   * How long the slots computed from the registry are reused while its version (which counts every
   * change) stays put: a reconcile then skips reading and slotting every check (seconds at a
   * million). Past this, the registry is read again whatever the version says.
   */
  rereadEveryMs?: number;
}

/** The slots computed from the registry at one version. */
interface Slotted {
  version: number;
  at: number;
  checks: number;
  desired: Map<string, DesiredScheduler>;
}

/**
 * Keeps the slot job schedulers and their members in step with the check registry. Changes apply live (announced on a
 * channel); a periodic full reconcile catches anything missed. Only the lease holder reconciles, so
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
  private slotted: Slotted | undefined;

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
    this.unwatch = await this.registry.watch(this.ctx.blocking.registry, () => this.soon());
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

  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reconcile(), 50);
  }

  /**
   * The slots the registry calls for: those of the last reconcile while the registry's version has
   * not moved (and `rereadEveryMs` has not passed), else read and slotted afresh. The version is read
   * first, so a change made while reading shows as a newer version next time.
   */
  private async desired(): Promise<Slotted> {
    const version = await this.registry.version();
    const last = this.slotted;
    if (last && last.version === version && Date.now() - last.at < (this.options.rereadEveryMs ?? 15 * 60_000))
      return last;
    this.slotted = undefined; // its memory can go while the registry is read
    const checks = await this.registry.list();
    const desired = desiredSchedulers(checks, this.ctx.vantages, this.options.slotChunkSize);
    this.slotted = { version, at: Date.now(), checks: checks.length, desired };
    return this.slotted;
  }

  private async runOnce(thorough: boolean): Promise<SyncReport | undefined> {
    const { log, vantages } = this.ctx;
    try {
      const leads = await this.lease.acquireOrRenew();
      const takingOver = leads && !this.leading;
      this.leading = leads;
      if (!leads) return undefined;
      const full = thorough || takingOver;
      if (full) this.lastThorough = Date.now();
      const { desired, checks } = await this.desired();
      const report = await this.sync.apply(desired, vantages, full);
      if (report.upserted > 0 || report.removed > 0 || report.membersWritten > 0 || report.targetsWritten > 0)
        log.info({ ...report, checks }, 'schedulers reconciled');
      return report;
    } catch (err) {
      log.error({ err }, 'reconcile failed; retrying at the next tick');
      return undefined;
    }
  }
}
