import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_REDIS_URL, freePort, redisAnswers, VigilError } from '@vigil/core';

/** Where Redis is, and, when Vigil started it, how to stop it. */
export interface RedisLocation {
  url: string;
  /** How it was found: named by REDIS_URL, already answering locally, or started by Vigil. */
  source: 'env' | 'local' | 'private';
  stop(): Promise<void>;
}

const URL_FILE = 'redis.url';

function hasRedisServer(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

async function startPrivateRedis(stateDir: string, command: string): Promise<{ url: string; child: ChildProcess }> {
  if (!hasRedisServer(command)) {
    throw new VigilError(
      'REDIS_UNAVAILABLE',
      `no Redis answers at 127.0.0.1:6379 and there is no ${command} on PATH. Install one ` +
        '(Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`), ' +
        'or set REDIS_URL=redis://host:port to use an existing Redis.',
    );
  }
  const dir = join(stateDir, 'redis');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    command,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new VigilError('REDIS_UNAVAILABLE', `redis-server did not start on port ${port} (data dir ${dir})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await writeFile(join(stateDir, URL_FILE), `${url}\n`);
  return { url, child };
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
      `no Redis answers at ${defaultUrl}; set REDIS_URL or start one with \`vigil up\``,
    );
  }
  const { url, child } = await startPrivateRedis(options.stateDir, options.redisServerCommand ?? 'redis-server');
  return {
    url,
    source: 'private',
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
