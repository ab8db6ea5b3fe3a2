import type { Clock } from './clock.js';
import type { RedisKeys } from './keys.js';
import type { Logger } from './logger.js';
import type { Redis } from './redis.js';

/**
 * What every part of a role process shares, built once when the role starts: the command connection,
 * the key layout, the clock and the log. Each role's context extends it with the stores it uses, so a
 * part takes the context (or a `Pick<>` of it) and never builds a store of its own.
 */
export interface RoleContext {
  redis: Redis;
  keys: RedisKeys;
  clock: Clock;
  log: Logger;
}

/**
 * The connections a role may need besides `redis`, from the process that opened them; that process
 * closes them, once, after its roles have stopped. A role context names each one it takes.
 */
export interface RoleConnections {
  /** BullMQ's queues and workers: it waits out Redis restarts (`maxRetriesPerRequest: null`). */
  connection: Redis;
  /** Opens a connection of its own, for a part that blocks on it (a subscriber, a stream reader). */
  dedicated(name: string): Redis;
}
