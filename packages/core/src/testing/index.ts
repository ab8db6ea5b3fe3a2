import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { parseConfig } from '../config/config.js';
import { isVigilError, type VigilError } from '../errors/errors.js';
import type { IncidentMember } from '../incidents/incident.js';
import type { OpenRequest } from '../incidents/incident-store.js';
import type { ProbeResult } from '../probes/probe-result.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import type { RoleConnections, RoleContext } from '../runtime/context.js';
import { parseEnv } from '../runtime/env.js';
import { keyLayoutOf, redisKeys } from '../runtime/keys.js';
import { createLogger, type Logger } from '../runtime/logger.js';
import { createRedis, DEFAULT_REDIS_URL } from '../runtime/redis.js';

export { freePort } from '../runtime/free-port.js';
export {
  ALLOWED_TARGET_CORPUS,
  BLOCKED_TARGET_CORPUS,
  type CorpusTarget,
  hasCredentials,
} from '../targets/target-corpus.js';
export { startRedisCluster, type TestRedisCluster } from './redis-cluster.js';
export { countWrites, writesDuring } from './redis-writes.js';
export { addResultBatch, resultBatchesIn } from './result-streams.js';

/** The Redis tests use: `REDIS_URL` when the runner sets it (validated as Vigil does), else the local default. */
export const TEST_REDIS_URL = parseEnv(process.env).REDIS_URL ?? DEFAULT_REDIS_URL;

/** A key prefix no other test shares, so tests run in parallel on one Redis. */
export function uniquePrefix(label = 'test'): string {
  return `vt-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS); on a Cluster, on every master. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const cluster = redis as unknown as { isCluster?: boolean; nodes(role: 'master'): Redis[] };
  for (const node of cluster.isCluster ? cluster.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // One key a command: a node's keys span slots, and a multi-key command must not.
      if (keys.length > 0) await keys.reduce((pipeline, key) => pipeline.unlink(key), node.pipeline()).exec();
    } while (cursor !== '0');
  }
}

/** A Redis connection and a fresh prefix for one test; `cleanup()` removes the keys and disconnects. */
export async function testRedis(label?: string): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = createRedis(TEST_REDIS_URL, { name: 'vigil-test' });
  const prefix = uniquePrefix(label);
  return {
    redis,
    prefix,
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** A role context on real Redis under a fresh prefix, as a role process would have it. */
export interface TestContext extends RoleContext, RoleConnections {
  prefix: string;
  /** Another process of the same fleet: connections of its own (closed with this context), the same keys, clock and log. */
  peer(): RoleContext & RoleConnections;
  /** Deletes the keys under the prefix and closes every connection this context and its peers opened; once. */
  cleanup(): Promise<void>;
}

/**
 * The context tests build roles on: a fresh prefix, the system clock or the test's own, a silent log
 * unless given one. Connections besides `redis` connect on first use, so a test pays only for those
 * its parts take.
 */
export async function testContext(
  label?: string,
  options: {
    clock?: Clock;
    log?: Logger /** A Redis other than TEST_REDIS_URL, such as a test Cluster's. */;
    redisUrl?: string;
  } = {},
): Promise<TestContext> {
  const prefix = uniquePrefix(label);
  const url = options.redisUrl ?? TEST_REDIS_URL;
  const opened: Redis[] = [];
  const open = (name: string, options: { lazyConnect?: boolean; maxRetriesPerRequest?: null } = {}) => {
    const conn = createRedis(url, { name: `vigil-test-${name}`, ...options });
    opened.push(conn);
    return conn;
  };
  const shared = {
    keys: redisKeys(prefix, keyLayoutOf(url)),
    clock: options.clock ?? systemClock,
    log: options.log ?? createLogger({ level: 'silent' }),
  };
  const roleProcess = (redis: Redis): RoleContext & RoleConnections => ({
    ...shared,
    redis,
    connection: open('bullmq', { lazyConnect: true, maxRetriesPerRequest: null }),
    dedicated: (name) => open(name, { lazyConnect: true }),
  });
  const main = roleProcess(open('redis'));
  let closing: Promise<void> | undefined;
  return {
    ...main,
    prefix,
    peer: () => roleProcess(open('redis', { lazyConnect: true })),
    cleanup() {
      closing ??= (async () => {
        await deletePrefix(main.redis, prefix);
        for (const conn of opened) conn.disconnect();
      })();
      return closing;
    },
  };
}

/**
 * The one way tests wait for a condition: polls `probe` every 50 ms until it returns something other
 * than `undefined` or `false`, and returns that; fails after `timeoutMs` naming `what`.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await setTimeout(50);
  }
}

/**
 * Whether consumer group `group` has read every entry of `stream` and acknowledged each: what it
 * was going to do about them is done, so a test can assert what did not happen.
 */
export async function streamDrained(redis: Redis, stream: string, group: string): Promise<boolean> {
  const [last] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  for (const fields of groups) {
    const info = new Map<unknown, unknown>();
    for (let i = 0; i + 1 < fields.length; i += 2) info.set(fields[i], fields[i + 1]);
    if (info.get('name') !== group) continue;
    return info.get('pending') === 0 && info.get('last-delivered-id') === (last?.[0] ?? '0-0');
  }
  return false;
}

/** A fixed moment tests build results around: 2026-11-20 12:00 UTC. */
export const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

/** An ok result of check `api` from vantage `alpha` for round T0, with `overrides` on top. */
export function sampleResult(overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    checkId: 'api',
    vantage: 'alpha',
    round: T0,
    startedAt: T0 + 5,
    finishedAt: T0 + 30,
    ok: true,
    timings: { connect: 1, firstByte: 10, total: 25 },
    ...overrides,
  };
}

/** The CONFIG_INVALID error `text` is refused with (the environment `env`); fails when it is accepted. */
export function configError(text: string, env: Record<string, string> = {}): VigilError {
  try {
    parseConfig(text, { env });
  } catch (err) {
    if (isVigilError(err, 'CONFIG_INVALID')) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

/** One vantage's result of `round`: up, or down with the connection refused; finished 30 ms into the round. */
export function roundResult(checkId: string, vantage: string, round: number, ok: boolean): ProbeResult {
  return sampleResult({
    checkId,
    vantage,
    round,
    startedAt: round + 5,
    finishedAt: round + 30,
    ok,
    ...(!ok && { error: 'connect_refused' as const, message: 'connection refused' }),
  });
}

/**
 * A check's part in an incident as the notifier records it: down from every vantage since `at`,
 * with internal names in its error, so tests can assert they never reach the public.
 */
export function incidentMemberFixture(
  checkId: string,
  at: number,
  overrides: Partial<IncidentMember> = {},
): IncidentMember {
  return {
    checkId,
    name: checkId,
    down: true,
    firstFailedRound: at,
    lastFailedRound: at,
    vantagesFailing: ['alpha', 'beta'],
    vantagesTotal: 2,
    error: 'connect_refused',
    message: `connection refused by ${checkId}.internal.example.com`,
    ...overrides,
  };
}

/** An incident of component `api` opened by `checkId` at `at`, worded as the notifier words it. */
export function openRequestFixture(checkId: string, at: number, overrides: Partial<OpenRequest> = {}): OpenRequest {
  return {
    group: 'component:api',
    title: `${checkId} is down`,
    impact: 'major',
    severity: 'major',
    component: 'api',
    startedAt: at,
    member: incidentMemberFixture(checkId, at),
    openedMessage: `${checkId} is failing from alpha, beta: connect_refused.`,
    joinedMessage: '',
    ...overrides,
  };
}
