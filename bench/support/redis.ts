/**
 * One bench's Redis: every key under a fresh `bench-<uuid>` prefix, connections made the way the
 * roles make them, and `cleanup()` deleting the prefix and closing everything it opened.
 */
import { randomUUID } from 'node:crypto';
import {
  createRedis,
  DEFAULT_REDIS_URL,
  keyLayoutOf,
  type Logger,
  type Redis,
  type RedisKeys,
  type RoleConnections,
  type RoleContext,
  redisKeys,
  systemClock,
  waitForRedis,
} from '@vigil/core';
import { deletePrefix } from '@vigil/core/testing';

export interface BenchRedis {
  url: string;
  prefix: string;
  keys: RedisKeys;
  /** For commands (counters, the result store). */
  redis: Redis;
  /** A connection of its own, as BullMQ queues and workers want (`maxRetriesPerRequest: null`). */
  connection(name: string): Redis;
  /** A role's process on this Redis: the command connection, and connections of its own named after `role`. */
  role(role: string, log: Logger): RoleContext & RoleConnections;
  cleanup(): Promise<void>;
  /** Closes every connection and leaves the keys (a private redis-server that is about to stop). */
  disconnect(): void;
}

/**
 * Connections to `url` made as the roles make them, named `<namePrefix><name>` (seen in CLIENT LIST);
 * `blocking` ones as BullMQ wants them (`maxRetriesPerRequest: null`). `closeAll()` disconnects them all.
 */
export function benchConnections(
  url: string,
  namePrefix: string,
): { open(name: string, blocking: boolean): Redis; closeAll(): void } {
  const opened: Redis[] = [];
  return {
    open(name, blocking) {
      const conn = createRedis(url, { name: `${namePrefix}${name}`, ...(blocking && { maxRetriesPerRequest: null }) });
      opened.push(conn);
      return conn;
    },
    closeAll() {
      for (const conn of opened.splice(0)) conn.disconnect();
    },
  };
}

/** `prefix` for a Redis of the bench's own, where key sizes should be a deployment's (`vigil`). */
export async function benchRedis(url = DEFAULT_REDIS_URL, prefix = `bench-${randomUUID()}`): Promise<BenchRedis> {
  const { open, closeAll } = benchConnections(url, 'vigil-bench-');
  const redis = open('commands', false);
  await waitForRedis(redis, url);
  const keys = redisKeys(prefix, keyLayoutOf(url));
  return {
    url,
    prefix,
    keys,
    redis,
    connection: (name) => open(name, true),
    role: (role, log) => ({
      redis,
      keys,
      clock: systemClock,
      log,
      connection: open(role, true),
      dedicated: (name) => open(`${role}-${name}`, true),
    }),
    async cleanup() {
      await deletePrefix(redis, prefix);
      closeAll();
    },
    disconnect() {
      closeAll();
    },
  };
}
