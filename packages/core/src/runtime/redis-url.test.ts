import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';
import { keyLayoutOf, redisKeys } from './keys.js';
import { redactUrl } from './redis.js';
import { DEFAULT_CLUSTER_SHARDS, parseRedisUrl } from './redis-url.js';

describe('Redis locations', () => {
  it('reads a redis+cluster:// URL as seed nodes, credentials, TLS and shards', () => {
    expect(parseRedisUrl('redis+cluster://127.0.0.1:7001,10.0.0.2:7002')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7001 },
        { host: '10.0.0.2', port: 7002 },
      ],
      tls: false,
      shards: DEFAULT_CLUSTER_SHARDS,
    });
    expect(parseRedisUrl('rediss+cluster://vigil:p%40ss@[::1]:7001/?shards=64')).toEqual({
      mode: 'cluster',
      nodes: [{ host: '::1', port: 7001 }],
      username: 'vigil',
      password: 'p@ss',
      tls: true,
      shards: 64,
    });
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379/2' });
  });

  it('refuses a cluster URL it cannot read, naming what is wrong', () => {
    expect(() => parseRedisUrl('redis+cluster://127.0.0.1')).toThrow(/host:port/);
    expect(() => parseRedisUrl('redis+cluster://127.0.0.1:7001?shards=0')).toThrow(/shards/);
    expect(() => parseRedisUrl('redis+cluster://127.0.0.1:7001?slots=3')).toThrow(/unknown parameter "slots"/);
    expect(() => parseEnv({ REDIS_URL: 'redis+cluster://h' })).toThrow(/REDIS_URL/);
    expect(() => parseEnv({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/redis\+cluster:\/\//);
    expect(() => parseEnv({ REDIS_URL: 'redis+cluster://h:1', VIGIL_PREFIX: '{vigil}' })).toThrow(/VIGIL_PREFIX/);
    expect(parseEnv({ REDIS_URL: 'redis+cluster://h:1,h:2' }).REDIS_URL).toBe('redis+cluster://h:1,h:2');
  });

  it('hides a cluster password when printed', () => {
    expect(redactUrl('redis+cluster://vigil:secret@h:1,h:2')).toBe('redis+cluster://vigil:***@h:1,h:2');
  });
});

describe('the key layout', () => {
  it('is unchanged on one Redis: existing deployments need no migration', () => {
    const keys = redisKeys('vigil', keyLayoutOf('redis://127.0.0.1:6379'));
    expect([
      keys.checks,
      keys.latest('api'),
      keys.round('api', 5),
      keys.pendingRounds(keys.shardOf('api')),
      keys.transitions(0),
      keys.slotMembers('alpha', 's1'),
      keys.incident('7'),
      keys.queuePrefix('probe.alpha'),
    ]).toEqual([
      'vigil:checks',
      'vigil:{api}:latest',
      'vigil:{api}:round:5',
      'vigil:eval:pending',
      'vigil:eval:transitions',
      'vigil:probe.alpha:~slot:s1:members',
      'vigil:incident:7',
      'vigil',
    ]);
    expect(keys.shards).toBe(1);
  });

  it('on a Cluster tags a check by its shard, each queue by its name and the rest by one tag', () => {
    const keys = redisKeys('vigil', keyLayoutOf('redis+cluster://127.0.0.1:7001?shards=8'));
    const shard = keys.shardOf('api');
    expect(redisKeys('vigil', { shards: 8 }).shardOf('api')).toBe(shard);
    expect(keys.latest('api')).toBe(`vigil:{s${shard}}:api:latest`);
    expect(keys.pendingRounds(shard)).toBe(`vigil:{s${shard}}:~eval:pending`);
    expect(keys.checks).toBe('vigil:{g}:checks');
    expect(keys.incidentMembers('7')).toBe('vigil:{g}:incident:7:members');
    expect(keys.queuePrefix('probe.alpha')).toBe('vigil:{probe.alpha}');
    expect(keys.slotTargets('alpha', 's1')).toBe('vigil:{probe.alpha}:probe.alpha:~slot:s1:targets');
    expect(keys.slot('alpha', 's1')).toBe('vigil:{probe.alpha}:probe.alpha:~slot:s1');
    const spread = new Set(Array.from({ length: 200 }, (_, i) => keys.shardOf(`check-${i}`)));
    expect(spread.size).toBe(8);
    expect(() => redisKeys('{vigil}', { shards: 8 })).toThrow(/no \{ or \}/);
  });
});
