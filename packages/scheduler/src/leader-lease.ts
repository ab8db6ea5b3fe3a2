import { defineScripts, type Redis } from '@vigil/core';

/** The scripts of `lua/`, as commands. */
interface LeaseCommands {
  vigilRenewLease(lease: string, holder: string, ttlMs: number): Promise<0 | 1>;
  vigilReleaseLease(lease: string, holder: string): Promise<0 | 1>;
}

/**
 * One holder at a time, decided in Redis: taken with SET NX PX, kept by renewing before it lapses,
 * lost to another process if the holder stops renewing (crashed, partitioned).
 */
export class LeaderLease {
  private readonly redis: Redis & LeaseCommands;

  constructor(private readonly ctx: { redis: Redis; key: string; holder: string; ttlMs: number }) {
    this.redis = defineScripts<LeaseCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Takes the lease if free, renews it if held; true while this process holds it. */
  async acquireOrRenew(): Promise<boolean> {
    const { key, holder, ttlMs } = this.ctx;
    if ((await this.redis.vigilRenewLease(key, holder, ttlMs)) === 1) return true;
    return (await this.redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(): Promise<void> {
    await this.redis.vigilReleaseLease(this.ctx.key, this.ctx.holder);
  }
}
