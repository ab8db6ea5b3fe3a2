import type { Redis } from '@vigil/core';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * One holder at a time, decided in Redis: taken with SET NX PX, kept by renewing before it lapses,
 * lost to another process if the holder stops renewing (crashed, partitioned).
 */
export class LeaderLease {
  constructor(private readonly ctx: { redis: Redis; key: string; holder: string; ttlMs: number }) {}

  /** Takes the lease if free, renews it if held; true while this process holds it. */
  async acquireOrRenew(): Promise<boolean> {
    const { redis, key, holder, ttlMs } = this.ctx;
    const renewed = (await redis.eval(RENEW, 1, key, holder, ttlMs)) as number;
    if (renewed === 1) return true;
    return (await redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(): Promise<void> {
    await this.ctx.redis.eval(RELEASE, 1, this.ctx.key, this.ctx.holder);
  }
}
