import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { IncidentMember } from '../incidents/incident.js';
import type { OpenRequest } from '../incidents/incident-store.js';
import type { ProbeResult } from '../probes/probe-result.js';
import { parseEnv } from '../runtime/env.js';
import { createRedis, DEFAULT_REDIS_URL } from '../runtime/redis.js';

export { freePort } from '../runtime/free-port.js';
export { ALLOWED_TARGET_CORPUS, BLOCKED_TARGET_CORPUS, type CorpusTarget } from '../targets/target-corpus.js';

/** The Redis tests use: `REDIS_URL` when the runner sets it (validated as Vigil does), else the local default. */
export const TEST_REDIS_URL = parseEnv(process.env).REDIS_URL ?? DEFAULT_REDIS_URL;

/** A key prefix no other test shares, so tests run in parallel on one Redis. */
export function uniquePrefix(label = 'test'): string {
  return `vt-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
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
