import { setTimeout as sleep } from 'node:timers/promises';
import { defineScripts, type Redis } from '@vigil/core';

/** The scripts of `lua/`, as commands. */
interface RateCommands {
  vigilTakeRatePermit(window: string, max: number, perMs: number): Promise<number>;
}

/**
 * The vantage's global probe rate limit (`prober.rateLimit`), counted per probe in Redis so every
 * prober of the vantage shares it, whether its probes come one per job or many per slot job.
 */
export class RateGate {
  private readonly redis: Redis & RateCommands;

  constructor(
    redis: Redis,
    private readonly options: { window: string; max: number; perMs: number },
  ) {
    this.redis = defineScripts<RateCommands>(redis, new URL('./lua/', import.meta.url));
  }

  /** Resolves once a probe may start; waits out full windows. */
  async take(): Promise<void> {
    const { window, max, perMs } = this.options;
    for (;;) {
      const waitMs = await this.redis.vigilTakeRatePermit(window, max, perMs);
      if (waitMs <= 0) return;
      await sleep(waitMs);
    }
  }
}
