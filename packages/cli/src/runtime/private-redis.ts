import { type ChildProcess, spawn } from 'node:child_process';
import { open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRedis, freePort, redisAnswers, VigilError } from '@vigil/core';

/** `vigil up`'s own redis-server: its URL and pid, and how to stop it (and give up the directory). */
export interface PrivateRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export const URL_FILE = 'redis.url';
const OWNER_FILE = 'redis.owner';

/**
 * Runs redis-server (`$@`) so that it cannot outlive the process that started it: this shell holds the
 * read end of a pipe only that process writes to; when it goes — however it goes, kill -9 included —
 * `cat` sees the end and redis-server gets SIGTERM (a clean shutdown that flushes the AOF).
 */
const SUPERVISOR = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- & r=$!',
  "trap 'kill -TERM $r 2>/dev/null' TERM INT HUP",
  '( cat <&3 >/dev/null; kill -TERM $r 2>/dev/null ) &',
  'exec 3<&-',
  'while kill -0 $r 2>/dev/null; do wait $r; done',
].join('\n');

interface OwnerClaim {
  pid: number;
  url?: string;
  redisPid?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `.vigil/redis.owner` for this process, exclusively: a live owner means another `vigil up` runs
 * on this directory (refused, naming its pid); a dead one's claim is stale and taken over.
 */
async function claim(stateDir: string): Promise<{ previous?: OwnerClaim; release(): Promise<void> }> {
  const path = join(stateDir, OWNER_FILE);
  let previous: OwnerClaim | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${JSON.stringify({ pid: process.pid })}\n`);
      await file.close();
      const release = async () => {
        const now = await readClaim(path);
        if (now?.pid === process.pid) await rm(path, { force: true });
      };
      return { ...(previous && { previous }), release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readClaim(path);
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      throw new VigilError(
        'CONFLICT',
        `another \`vigil up\` (pid ${owner.pid}) is running on ${resolve(stateDir)}` +
          `${owner.url ? ` with its Redis at ${owner.url}` : ''}; stop it first, or run this one from another directory`,
      );
    }
    previous = owner ?? previous;
    await rm(path, { force: true });
  }
  throw new VigilError('CONFLICT', `could not claim ${path}: another process keeps taking it`);
}

async function readClaim(path: string): Promise<OwnerClaim | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  try {
    const parsed = JSON.parse(text) as OwnerClaim;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `dir` and `process_id` of the Redis at `url`, if it answers. */
async function describeRedis(url: string): Promise<{ dir: string; pid: number } | undefined> {
  if (!(await redisAnswers(url, 500))) return undefined;
  const redis = createRedis(url, { name: 'vigil-up-orphan-check', maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    const [, dir] = (await redis.call('CONFIG', 'GET', 'dir')) as [string, string];
    const info = String(await redis.call('INFO', 'server'));
    return { dir, pid: Number(/process_id:(\d+)/.exec(info)?.[1]) };
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/**
 * Where redis-servers running in `dir` listen, found without a remembered URL: on Linux, each
 * redis-server's working directory (its `--dir`) and its process title (`redis-server 127.0.0.1:PORT`).
 */
async function redisServersIn(dir: string): Promise<string[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const urls: string[] = [];
  for (const pid of entries.filter((entry) => /^\d+$/.test(entry))) {
    const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const listen = /^redis-server\s+([\d.]+|\[[^\]]+\]|\*):(\d+)/.exec(title);
    if (!listen || (await readlink(`/proc/${pid}/cwd`).catch(() => '')) !== dir) continue;
    urls.push(`redis://${listen[1] === '*' ? '127.0.0.1' : listen[1]}:${listen[2]}`);
  }
  return urls;
}

/**
 * A redis-server left running on our data directory by a `vigil up` that died (kill -9, OOM): asked to
 * SHUTDOWN (it flushes its AOF first), or, if it will not go, refused with its pid.
 */
async function stopOrphan(urls: readonly string[], dir: string): Promise<void> {
  for (const url of new Set(urls)) {
    const found = await describeRedis(url);
    if (!found || resolve(found.dir) !== resolve(dir)) continue;
    const redis = createRedis(url, { name: 'vigil-up-orphan-shutdown', maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    await redis.call('SHUTDOWN').catch(() => undefined);
    redis.disconnect();
    const deadline = Date.now() + 10_000;
    while ((await redisAnswers(url, 300)) || alive(found.pid)) {
      if (Date.now() > deadline) {
        throw new VigilError(
          'REDIS_UNAVAILABLE',
          `a redis-server (pid ${found.pid}) left by an earlier \`vigil up\` still runs on ${dir} at ${url} ` +
            `and did not shut down; stop it (kill ${found.pid}) and run \`vigil up\` again`,
        );
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

/** The started redis-server's dir and pid once it answers; if it exits or takes over 10 s, an error. */
async function answering(child: ChildProcess, url: string, dir: string): Promise<{ dir: string; pid: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const described = await describeRedis(url);
    if (described) return described;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new VigilError('REDIS_UNAVAILABLE', `redis-server did not start at ${url} (data dir ${dir})`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * Starts `vigil up`'s private redis-server with its data in `stateDir/redis`: once per directory (an
 * exclusive owner claim), after taking down an orphan an earlier `vigil up` left there, and supervised
 * so it dies with this process. Its URL is left in `stateDir/redis.url` for `vigil status`.
 */
export async function startPrivateRedis(stateDir: string, command: string): Promise<PrivateRedis> {
  const dir = resolve(stateDir, 'redis');
  const ownership = await claim(stateDir);
  try {
    const remembered = (await readFile(join(stateDir, URL_FILE), 'utf8').catch(() => '')).trim();
    const found = await redisServersIn(dir);
    await stopOrphan([remembered, ownership.previous?.url ?? '', ...found].filter(Boolean), dir);
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''];
    const child = spawn('sh', ['-c', SUPERVISOR, 'vigil-redis', command, ...args], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => {});
    const described = await answering(child, url, dir);
    await writeFile(join(stateDir, URL_FILE), `${url}\n`);
    await writeFile(
      join(stateDir, OWNER_FILE),
      `${JSON.stringify({ pid: process.pid, url, redisPid: described.pid })}\n`,
    );
    let stopping: Promise<void> | undefined;
    return {
      url,
      pid: described.pid,
      stop: () => {
        stopping ??= (async () => {
          const done = exited(child);
          child.stdin?.end();
          child.kill('SIGTERM');
          await done;
          await ownership.release();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await ownership.release();
    throw err;
  }
}
