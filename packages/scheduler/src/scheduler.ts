import { randomUUID } from 'node:crypto';
import { CheckRegistry, type Logger, type Redis, type RedisKeys } from '@vigil/core';
import { desiredSchedulers } from './desired-schedulers.js';
import { LeaderLease } from './leader-lease.js';
import { QueueDepths } from './queue-metrics.js';
import { SchedulerSync, type SyncReport } from './scheduler-sync.js';

export interface SchedulerOptions {
  /** Commands: registry reads, the lease, the applied-fingerprint hash. */
  redis: Redis;
  /** A connection of its own for registry change notifications. */
  subscriber: Redis;
  /** Shared by the BullMQ queues. */
  connection: Redis;
  keys: RedisKeys;
  vantages: readonly string[];
  log: Logger;
  /** How often a full reconcile runs even with no change announced. */
  resyncEveryMs?: number;
  /** How long the lease lasts without renewal; a crashed leader is replaced after this. */
  leaseMs?: number;
}

/**
 * Keeps BullMQ job schedulers in step with the check registry. Changes apply live (announced on a
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
  private unwatch: (() => Promise<void>) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.registry = new CheckRegistry({ redis: options.redis, keys: options.keys });
    this.lease = new LeaderLease({
      redis: options.redis,
      key: options.keys.schedulerLeader,
      holder: `${process.pid}-${randomUUID().slice(0, 8)}`,
      ttlMs: options.leaseMs ?? 15_000,
    });
    this.sync = new SchedulerSync(options);
    this.depths = new QueueDepths(options);
  }

  async start(): Promise<void> {
    this.unwatch = await this.registry.watch(this.options.subscriber, () => this.soon());
    await this.reconcile(true);
    const every = Math.min(this.options.resyncEveryMs ?? 10_000, (this.options.leaseMs ?? 15_000) / 3);
    this.timer = setInterval(() => void this.reconcile(true), every);
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

  private async runOnce(thorough: boolean): Promise<SyncReport | undefined> {
    const { log, vantages } = this.options;
    try {
      if (!(await this.lease.acquireOrRenew())) return undefined;
      const checks = await this.registry.list();
      const report = await this.sync.apply(desiredSchedulers(checks, vantages), vantages, thorough);
      if (report.upserted > 0 || report.removed > 0)
        log.info({ ...report, checks: checks.length }, 'schedulers reconciled');
      return report;
    } catch (err) {
      log.error({ err }, 'reconcile failed; retrying at the next tick');
      return undefined;
    }
  }
}
