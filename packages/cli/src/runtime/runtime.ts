import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  createRedis,
  keyLayoutOf,
  loadConfig,
  parseRedisUrl,
  type Redis,
  type RoleConnections,
  type RoleContext,
  redisKeys,
  systemClock,
  type VigilConfig,
  type VigilEnv,
  validateConfig,
  waitForRedis,
} from '@vigil/core';
import { locateRedis, type RedisLocation } from './redis-bootstrap.js';

/** The example `vigil up` runs when there is no config file. */
export const EXAMPLE_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'vigil.yaml');

/**
 * The process every role context is built on: it opens the Redis connections (commands, BullMQ's,
 * and those a part blocks on) and owns them; `close()` ends them once, after the roles have stopped.
 */
export interface Runtime extends RoleContext, RoleConnections {
  /** The role this process was started as (`up` runs them all). */
  role: string;
  env: VigilEnv;
  redisUrl: string;
  redisSource: RedisLocation['source'];
  close(): Promise<void>;
}

export async function openRuntime(options: {
  env: VigilEnv;
  role: string;
  vantage?: string;
  stateDir?: string;
  mayStartRedis?: boolean;
}): Promise<Runtime> {
  const { env, role } = options;
  // Under `up` each role binds its own name; a single-role process binds it once, here.
  const single = role !== 'up' && role !== 'cli';
  const bindings = single ? { role, ...(options.vantage && { vantage: options.vantage }) } : {};
  const log = createLogger({ level: env.LOG_LEVEL, bindings });
  const location = await locateRedis({
    ...(env.REDIS_URL && { envUrl: env.REDIS_URL }),
    stateDir: options.stateDir ?? '.vigil',
    mayStart: options.mayStartRedis ?? false,
    defaultUrl: env.VIGIL_LOCAL_REDIS_URL,
  });
  const extra: Redis[] = [];
  const redis = createRedis(location.url, { name: `vigil-${role}` });
  const connection = createRedis(location.url, { name: `vigil-${role}-bullmq`, maxRetriesPerRequest: null });
  for (const conn of [redis, connection])
    conn.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  await waitForRedis(redis, location.url);
  let closing: Promise<void> | undefined;
  return {
    role,
    env,
    redisUrl: location.url,
    redisSource: location.source,
    redis,
    connection,
    keys: redisKeys(env.VIGIL_PREFIX, keyLayoutOf(location.url)),
    clock: systemClock,
    log,
    dedicated(name) {
      const conn = createRedis(location.url, { name: `vigil-${role}-${name}` });
      conn.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
      extra.push(conn);
      return conn;
    },
    close() {
      closing ??= (async () => {
        // A part that blocks on a connection may have ended it already, to stop waiting: those are left be.
        const open = [...extra, connection, redis].filter((conn) => conn.status !== 'end');
        await Promise.all(open.map((conn) => conn.quit().catch(() => conn.disconnect())));
        await location.stop();
        log.flush();
      })();
      return closing;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The config a role runs with. An explicit path (`-c`, VIGIL_CONFIG) must exist; without one,
 * `vigil.yaml` is used if present, else `fallback` decides: the shipped example, built-in
 * defaults, or an error saying what to create.
 */
export async function resolveConfig(options: {
  explicitPath?: string;
  env: VigilEnv;
  processEnv: Readonly<Record<string, string | undefined>>;
  redisUrl?: string;
  fallback: 'example' | 'defaults' | 'error';
  vantage?: string;
}): Promise<{ config: VigilConfig; path: string }> {
  const interpolationEnv = interpolationVariables(options.processEnv, options.env, options.redisUrl);
  const path = options.explicitPath ?? options.env.VIGIL_CONFIG;
  const named = options.explicitPath !== undefined || options.processEnv.VIGIL_CONFIG !== undefined;
  if (named || (await exists(path))) return { config: await loadConfig(resolve(path), interpolationEnv), path };
  if (options.fallback === 'example')
    return { config: await loadConfig(EXAMPLE_CONFIG, interpolationEnv), path: EXAMPLE_CONFIG };
  if (options.fallback === 'defaults') {
    return {
      config: validateConfig({ vantages: [options.vantage ?? 'default'] }, 'defaults'),
      path: '(built-in defaults)',
    };
  }
  return { config: await loadConfig(resolve(path), interpolationEnv), path };
}

/** What `${…}` in a config can name: the environment, plus where this process's Redis and web are. */
function interpolationVariables(
  processEnv: Readonly<Record<string, string | undefined>>,
  env: VigilEnv,
  redisUrl: string | undefined,
): Record<string, string | undefined> {
  const target = redisUrl ? parseRedisUrl(redisUrl) : undefined;
  const redis = target?.mode === 'single' ? new URL(target.url) : undefined;
  const seed = target?.mode === 'cluster' ? target.nodes[0] : undefined;
  return {
    VIGIL_REDIS_HOST: seed?.host ?? redis?.hostname ?? '127.0.0.1',
    VIGIL_REDIS_PORT: seed ? String(seed.port) : redis?.port || '6379',
    ...processEnv,
    VIGIL_PORT: String(env.VIGIL_PORT),
  };
}
