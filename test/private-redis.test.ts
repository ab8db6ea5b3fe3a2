import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, redisAnswers } from '@vigil/core';
import { eventually, freePort } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnVigil, type VigilProcess } from './support/vigil-process.js';

/** Every redis-server process whose working directory (where `--dir` puts it) is `dir`. */
async function redisServersOn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'redis-server') continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cwd === dir) pids.push(Number(entry));
  }
  return pids;
}

async function withRedis<T>(url: string, use: (redis: ReturnType<typeof createRedis>) => Promise<T>): Promise<T> {
  const redis = createRedis(url, { name: 'private-redis-test' });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe("vigil up's private redis-server", { timeout: 90_000 }, () => {
  let cwd: string;
  let dataDir: string;
  let env: Record<string, string>;
  const running: VigilProcess[] = [];

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'vigil-private-redis-'));
    dataDir = join(cwd, '.vigil', 'redis');
    await writeFile(join(cwd, 'vigil.yaml'), 'vantages: [local]\n');
    // Nothing answers where a local Redis would be, so `vigil up` starts its own.
    env = { REDIS_URL: '', VIGIL_LOCAL_REDIS_URL: 'redis://127.0.0.1:1', VIGIL_PORT: String(await freePort()) };
  });
  afterEach(async () => {
    for (const proc of running.splice(0)) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    }
    await eventually(async () => (await redisServersOn(dataDir)).length === 0 || undefined, 15_000, 'no redis left');
    await rm(cwd, { recursive: true, force: true });
  });

  function up(): VigilProcess {
    const proc = spawnVigil(['up'], { env, cwd });
    running.push(proc);
    return proc;
  }

  async function started(proc: VigilProcess): Promise<string> {
    await eventually(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`vigil up exited early:\n${proc.output()}`);
        return /vigil: up: API at/.test(proc.output()) || undefined;
      },
      30_000,
      'vigil up running',
    );
    return (await readFile(join(cwd, '.vigil', 'redis.url'), 'utf8')).trim();
  }

  it('killed with -9 takes its redis-server with it; the next one runs exactly one, with the data kept', async () => {
    const first = up();
    const url = await started(first);
    expect(await redisServersOn(dataDir)).toHaveLength(1);
    await withRedis(url, (redis) => redis.set('kept', 'across kill -9'));

    first.child.kill('SIGKILL');
    await first.exited;
    await eventually(async () => (await redisServersOn(dataDir)).length === 0 || undefined, 15_000, 'redis gone');
    expect(await redisAnswers(url, 300)).toBe(false);

    // An owner claim left behind by the killed process is stale, not a reason to refuse.
    const second = up();
    const again = await started(second);
    expect(await redisServersOn(dataDir)).toHaveLength(1);
    expect(await withRedis(again, (redis) => redis.get('kept'))).toBe('across kill -9');
    const owner = JSON.parse(await readFile(join(cwd, '.vigil', 'redis.owner'), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(second.child.pid);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await redisServersOn(dataDir)).toEqual([]);
    await expect(readFile(join(cwd, '.vigil', 'redis.owner'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('a second vigil up on the same directory is refused, naming the first, and starts no redis-server', async () => {
    const first = up();
    const url = await started(first);
    const [redisPid] = await redisServersOn(dataDir);

    const second = spawnVigil(['up'], { env: { ...env, VIGIL_PORT: String(await freePort()) }, cwd });
    running.push(second);
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain(`another \`vigil up\` (pid ${first.child.pid}) is running on ${cwd}/.vigil`);
    expect(second.output()).toContain(url);
    expect(await redisServersOn(dataDir)).toEqual([redisPid]);
    expect(await redisAnswers(url)).toBe(true);
  });

  it.each([
    ['remembered in redis.url', true],
    ['with no URL left behind', false],
  ])('takes down an orphan redis-server on its directory, %s, and keeps its data', async (_how, remembered) => {
    // What an older vigil up, or a supervisor killed with it, leaves: redis-server on the data dir, a stale claim.
    await mkdir(dataDir, { recursive: true });
    const port = await freePort();
    const orphan = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore', detached: true },
    );
    const exit = once(orphan, 'exit');
    const orphanUrl = `redis://127.0.0.1:${port}`;
    await eventually(async () => (await redisAnswers(orphanUrl, 300)) || undefined, 10_000, 'orphan up');
    await withRedis(orphanUrl, (redis) => redis.set('kept', 'from the orphan'));
    if (remembered) {
      await writeFile(join(cwd, '.vigil', 'redis.url'), `${orphanUrl}\n`);
      await writeFile(join(cwd, '.vigil', 'redis.owner'), `${JSON.stringify({ pid: 2 ** 22 + 1, url: orphanUrl })}\n`);
    }

    const proc = up();
    const url = await started(proc);
    expect(url).not.toBe(orphanUrl);
    await exit;
    const servers = await redisServersOn(dataDir);
    expect(servers).toHaveLength(1);
    expect(servers).not.toContain(orphan.pid);
    expect(await withRedis(url, (redis) => redis.get('kept'))).toBe('from the orphan');
  });

  it('refuses, naming its pid, when an orphan on its directory will not shut down', async () => {
    await mkdir(dataDir, { recursive: true });
    const port = await freePort();
    // SHUTDOWN renamed away: this orphan cannot be asked to go.
    const orphan = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dataDir,
        '--save',
        '',
        '--rename-command',
        'SHUTDOWN',
        '',
      ],
      { stdio: 'ignore' },
    );
    const exit = once(orphan, 'exit');
    try {
      await eventually(
        async () => (await redisAnswers(`redis://127.0.0.1:${port}`, 300)) || undefined,
        10_000,
        'orphan',
      );
      const proc = up();
      const code = await proc.exited;
      expect(code).not.toBe(0);
      expect(proc.output()).toContain(
        `a redis-server (pid ${orphan.pid}) left by an earlier \`vigil up\` still runs on ${dataDir}`,
      );
      expect(proc.output()).toContain(`kill ${orphan.pid}`);
      expect(await redisServersOn(dataDir)).toEqual([orphan.pid]);
    } finally {
      orphan.kill('SIGTERM');
      await exit;
    }
  });
});
