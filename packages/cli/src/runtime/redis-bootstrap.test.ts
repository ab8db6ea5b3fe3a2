import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { locateRedis } from './redis-bootstrap.js';

/** A loopback port nothing listens on (port 1 needs root to bind and nobody does). */
const NOTHING_THERE = 'redis://127.0.0.1:1';

describe('locateRedis', () => {
  it('uses REDIS_URL when set, without looking further', async () => {
    const location = await locateRedis({
      envUrl: 'redis://example.invalid:6379',
      stateDir: '/nonexistent',
      mayStart: true,
    });
    expect(location).toMatchObject({ url: 'redis://example.invalid:6379', source: 'env' });
  });

  it('starts a private redis-server with its data under the state dir when nothing answers, and says where', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    const location = await locateRedis({ stateDir, mayStart: true, defaultUrl: NOTHING_THERE });
    try {
      expect(location.source).toBe('private');
      expect(await redisAnswers(location.url)).toBe(true);
      expect((await readFile(join(stateDir, 'redis.url'), 'utf8')).trim()).toBe(location.url);
      expect((await stat(join(stateDir, 'redis'))).isDirectory()).toBe(true);
      // `vigil status` (which may not start one) finds it through the remembered URL.
      const again = await locateRedis({ stateDir, mayStart: false, defaultUrl: NOTHING_THERE });
      expect(again.url).toBe(location.url);
    } finally {
      await location.stop();
    }
    expect(await redisAnswers(location.url, 300)).toBe(false);
  });

  it('never shows the password of VIGIL_LOCAL_REDIS_URL when nothing answers there', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    const error = await locateRedis({
      stateDir,
      mayStart: false,
      defaultUrl: 'redis://vigil:hunter2-secret@127.0.0.1:1',
    }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('no Redis answers at redis://');
    expect((error as Error).message).not.toContain('hunter2-secret');
  });

  it('says exactly how to get Redis when there is no redis-server either', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vigil-state-'));
    await expect(
      locateRedis({
        stateDir,
        mayStart: true,
        defaultUrl: NOTHING_THERE,
        redisServerCommand: 'redis-server-that-is-not-installed',
      }),
    ).rejects.toThrow(/apt-get install redis-server.*or set REDIS_URL/s);
  });
});
