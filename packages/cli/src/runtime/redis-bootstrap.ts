import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_REDIS_URL, redactUrl, redisAnswers, VigilError } from '@vigil/core';
import { startPrivateRedis, URL_FILE } from './private-redis.js';

/** Where Redis is, and, when Vigil started it, how to stop it. */
export interface RedisLocation {
  url: string;
  /** How it was found: named by REDIS_URL, already answering locally, or started by Vigil. */
  source: 'env' | 'local' | 'private';
  stop(): Promise<void>;
}

function hasRedisServer(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Finds Redis the way `vigil up` promises: REDIS_URL if set; else a Redis answering at
 * 127.0.0.1:6379; else (when `mayStart`) a private redis-server from PATH with its data under
 * `stateDir`, whose URL is left in `stateDir/redis.url` for `vigil status` to find.
 */
export async function locateRedis(options: {
  envUrl?: string;
  stateDir: string;
  mayStart: boolean;
  /** Where to look before starting one; tests point it at a port nothing listens on. */
  defaultUrl?: string;
  redisServerCommand?: string;
}): Promise<RedisLocation> {
  const none = async () => {};
  const defaultUrl = options.defaultUrl ?? DEFAULT_REDIS_URL;
  if (options.envUrl) return { url: options.envUrl, source: 'env', stop: none };
  if (await redisAnswers(defaultUrl, 500)) return { url: defaultUrl, source: 'local', stop: none };
  if (!options.mayStart) {
    const remembered = await readFile(join(options.stateDir, URL_FILE), 'utf8').catch(() => '');
    const url = remembered.trim();
    if (url && (await redisAnswers(url, 500))) return { url, source: 'private', stop: none };
    throw new VigilError(
      'REDIS_UNAVAILABLE',
      `no Redis answers at ${redactUrl(defaultUrl)}; set REDIS_URL or start one with \`vigil up\``,
    );
  }
  const command = options.redisServerCommand ?? 'redis-server';
  if (!hasRedisServer(command)) {
    throw new VigilError(
      'REDIS_UNAVAILABLE',
      `no Redis answers at ${redactUrl(defaultUrl)} and there is no ${command} on PATH. Install one ` +
        '(Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`), ' +
        'or set REDIS_URL=redis://host:port to use an existing Redis.',
    );
  }
  await mkdir(join(options.stateDir, 'redis'), { recursive: true });
  const { url, stop } = await startPrivateRedis(options.stateDir, command);
  return { url, source: 'private', stop };
}
