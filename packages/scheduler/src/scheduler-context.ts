import { CheckRegistry, type Redis, type RoleConnections, type RoleContext } from '@vigil/core';

/** The scheduler role's context, built once at role start and handed to its parts. */
export interface SchedulerContext extends RoleContext {
  /** BullMQ's: the probe queues whose job schedulers it keeps, and the queues whose depths it reports. */
  connection: Redis;
  /** Connections a part holds for itself because it blocks on them. */
  blocking: {
    /** Registry change notifications (SUBSCRIBE). */
    registry: Redis;
  };
  /** Every configured vantage. */
  vantages: readonly string[];
  checks: CheckRegistry;
}

/** Builds the scheduler's context on its process: its subscriber connection and the registry, once. */
export function createSchedulerContext(
  base: RoleContext & RoleConnections,
  input: { vantages: readonly string[] },
): SchedulerContext {
  const { redis, keys, clock, log } = base;
  return {
    redis,
    keys,
    clock,
    log,
    connection: base.connection,
    blocking: { registry: base.dedicated('subscriber') },
    vantages: input.vantages,
    checks: new CheckRegistry({ redis, keys, log }),
  };
}
