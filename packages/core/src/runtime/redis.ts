import { Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

import { VigilError } from '../errors/errors.js';
import { parseRedisUrl } from './redis-url.js';
import { ShardedCluster } from './sharded-cluster.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, so an operator can tell which role holds which connection. */
  name?: string;
  /** BullMQ workers need `null`: a blocking connection must wait out Redis restarts, not fail. */
  maxRetriesPerRequest?: number | null;
  /** Fail fast at startup instead of queueing commands until Redis appears. */
  lazyConnect?: boolean;
}

/**
 * The one connection factory: every Vigil connection to Redis is made here. A `redis+cluster://`
 * URL gives a Redis Cluster connection (see sharded-cluster.ts), typed as `Redis`: it answers every
 * command Vigil sends, so the roles run unchanged; the key layout (keys.ts) keeps each command and
 * script within one slot.
 */
export function createRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
    enableReadyCheck: true,
    lazyConnect: options.lazyConnect ?? false,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...(options.name !== undefined && { connectionName: options.name }),
  };
  const target = parseRedisUrl(url);
  if (target.mode === 'single') return new Redis(url, redisOptions);
  const { lazyConnect, retryStrategy, ...nodeOptions } = redisOptions;
  const cluster = new ShardedCluster(target.nodes, {
    lazyConnect,
    enableReadyCheck: true,
    clusterRetryStrategy: retryStrategy,
    redisOptions: {
      ...nodeOptions,
      ...(target.username !== undefined && { username: target.username }),
      ...(target.password !== undefined && { password: target.password }),
      ...(target.tls && { tls: {} }),
    },
  });
  return cluster as unknown as Redis;
}

/** Whether a Redis answers PING at `url` within `timeoutMs`; never throws. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  if (parseRedisUrl(url).mode === 'cluster') {
    const cluster = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    cluster.on('error', () => {});
    try {
      await waitForRedis(cluster, url, timeoutMs);
      return (await cluster.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      cluster.disconnect();
    }
  }
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Waits until the connection is ready, or fails with REDIS_UNAVAILABLE naming the URL (password hidden). */
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new VigilError('REDIS_UNAVAILABLE', `Redis at ${redactUrl(url)} did not answer within ${timeoutMs}ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
    if (redis.status === 'wait') redis.connect().catch(() => {});
  });
}

/** A URL safe to print: any password replaced by `***`. */
export function redactUrl(url: string): string {
  if (/^rediss?\+cluster:/.test(url)) return url.replace(/^([^:]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
