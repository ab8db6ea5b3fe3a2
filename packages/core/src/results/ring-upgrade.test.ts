import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/config.js';
import { PROBE_ERRORS, type ProbeResult } from '../probes/probe-result.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import { sampleResult, T0, testRedis } from '../testing/index.js';
import { historyMessage, ringBytes } from './history-ring.js';
import { encodeLatest } from './latest-result.js';
import { ResultStore, recordResultsCall } from './result-store.js';

const INTERVAL = 30_000;
const CAP = 20;

/** The release before's record script (lua-v1/: 10-byte ring entries), as a notifier of that version calls it. */
interface V1Commands {
  vigilRecordResultsV1(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
}

/** The 40-bit outcome of a 10-byte entry: ok, slow, error, status, latency ms (16), lateness in 20 ms (8). */
function v1Outcome(result: ProbeResult): number {
  const errorIndex = result.error === undefined ? 0 : PROBE_ERRORS.indexOf(result.error) + 1;
  const status = result.status === undefined ? 0 : result.status - 99;
  let packed = (result.ok ? 1 : 0) * 2 + (result.slow ? 1 : 0);
  packed = packed * 32 + errorIndex;
  packed = packed * 512 + status;
  packed = packed * 65_536 + Math.min(0xffff, result.timings.total);
  return packed * 256 + Math.min(0xff, Math.round((result.startedAt - result.round) / 20));
}

/** The v1 script's keys and arguments, as its ResultStore built them (no booking). */
function v1Call(keys: RedisKeys, results: readonly ProbeResult[]): [number, ...(string | number)[]] {
  const callKeys = [keys.pendingRounds(keys.shardOf('api'))];
  const args: (string | number)[] = [CAP];
  for (const result of results) {
    const id = result.checkId;
    callKeys.push(
      keys.latest(id),
      keys.historyRing(id),
      keys.history(id),
      keys.checkState(id),
      keys.latestMessages(id),
    );
    const latest = encodeLatest(result);
    args.push(
      `${result.vantage}\t${result.round}\t${4 * INTERVAL}\t75\t${v1Outcome(result)}\t0\t0\t\t\t${historyMessage(result)}`,
      latest.message === undefined ? latest.value : `${latest.value}\n${latest.message}`,
    );
  }
  return [callKeys.length, ...callKeys, ...args];
}

/** Round k of vantage v: every third of alpha's failing with one of two messages, latencies past a second too. */
function roundResult(k: number, vantage: string): ProbeResult {
  const round = T0 + k * INTERVAL;
  const failing = vantage === 'alpha' && k % 3 === 0;
  const total = 100 + k * 7 + (vantage === 'gamma' ? 1_000 : 0);
  return sampleResult({
    vantage,
    round,
    startedAt: round + (k % 2) * 100,
    finishedAt: round + (k % 2) * 100 + total,
    timings: { total },
    ...(failing
      ? { ok: false, error: 'http_status', status: 503, message: k % 2 ? 'odd outage' : 'even outage' }
      : { status: 200 }),
  });
}

describe('a history ring of 10-byte entries (the release before)', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let v1: V1Commands;
  let store: ResultStore;
  beforeEach(async () => {
    t = await testRedis('ring-v1');
    keys = redisKeys(t.prefix);
    v1 = defineScripts<V1Commands>(t.redis, new URL('./lua-v1/', import.meta.url));
    store = new ResultStore({ redis: t.redis, keys, historySize: CAP });
  });
  afterEach(() => t.cleanup());

  it('reads as it is, is converted when next written (a duplicate too), and keeps every entry and message', async () => {
    const vantages = ['alpha', 'beta', 'gamma'];
    // 9 rounds × 3 vantages: the ring of 20 wrapped.
    for (let k = 0; k < 9; k++) {
      await v1.vigilRecordResultsV1(
        ...v1Call(
          keys,
          vantages.map((v) => roundResult(k, v)),
        ),
      );
    }
    const latest = await t.redis.hgetall(keys.latest('api'));
    expect(latest['~r']).toBe(`${CAP}|${T0 - 86_400_000}`);
    expect(latest['beta:round']).toBe(String(T0 + 8 * INTERVAL));
    const latestBefore = await store.latest('api');
    expect(latestBefore.beta).toEqual(roundResult(8, 'beta'));
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(CAP * 10);

    const before = await store.history('api', { limit: CAP });
    expect(before).toHaveLength(CAP);
    expect(before[0]).toMatchObject({ vantage: 'gamma', round: T0 + 8 * INTERVAL, timings: { total: 1_156 } });
    const failed = before.find((r) => r.vantage === 'alpha' && r.round === T0 + 6 * INTERVAL);
    expect(failed).toMatchObject({ ok: false, error: 'http_status', status: 503, message: 'even outage' });
    expect(before.find((r) => r.vantage === 'alpha' && r.round === T0 + 3 * INTERVAL)?.message).toBe('odd outage');

    // The first result the new script sees is a late duplicate of a round the old one wrote: the
    // ring stays in its layout (converted when it wraps), its position and base move into `~w`.
    expect(await store.record(roundResult(7, 'beta'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(6, 'alpha'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(9, 'alpha'), INTERVAL)).toBe('latest');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`28|${CAP}|${T0 - 86_400_000}`);
    expect(await t.redis.hexists(keys.latest('api'), '~r')).toBe(0);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(CAP * 10);
    const next = await store.history('api', { limit: CAP });
    expect(next[0]).toEqual({ ...roundResult(9, 'alpha'), finishedAt: T0 + 9 * INTERVAL + 100 + 163 });
    expect(next[0]?.message).toBe('odd outage');
    expect(next.slice(1)).toEqual(before.slice(0, CAP - 1));
    // The latest hash in its new form where written (alpha), the form before where not yet (beta, gamma).
    const fields = await t.redis.hgetall(keys.latest('api'));
    expect(fields['alpha:i']).toBe(`1|4|${T0 + 9 * INTERVAL}`);
    expect(fields['alpha:round']).toBeUndefined();
    expect(fields['gamma:round']).toBe(String(T0 + 8 * INTERVAL));
    expect(await store.latest('api')).toEqual({ ...latestBefore, alpha: roundResult(9, 'alpha') });
    expect(await store.record(roundResult(8, 'gamma'), INTERVAL)).toBe('duplicate');

    // Entries 28…39 in the layout before; the 40th wraps the ring, which is converted.
    for (const k of [9, 10, 11, 12]) {
      for (const v of vantages) if (k > 9 || v !== 'alpha') await store.record(roundResult(k, v), INTERVAL);
    }
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(CAP * 10);
    const wrapping = await store.history('api', { limit: CAP });
    expect(await store.record(roundResult(13, 'alpha'), INTERVAL)).toBe('latest');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`${CAP}|${CAP}|${T0 - 86_400_000}|72`);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(ringBytes(CAP));
    // The same entries, their latencies past a second to within 0.2% (9 significant bits).
    const after = await store.history('api', { limit: CAP });
    expect(after[0]).toMatchObject({ vantage: 'alpha', round: T0 + 13 * INTERVAL, timings: { total: 191 } });
    after.slice(1).forEach((result, i) => {
      const was = wrapping[i] as ProbeResult;
      expect({ ...result, finishedAt: 0, timings: {} }).toEqual({ ...was, finishedAt: 0, timings: {} });
      expect(was.timings.total - result.timings.total).toBeGreaterThanOrEqual(0);
      expect(was.timings.total - result.timings.total).toBeLessThan(was.timings.total / 500 + 1);
    });
    expect(after.find((r) => r.vantage === 'alpha' && r.round === T0 + 12 * INTERVAL)?.message).toBe('even outage');
    // Late rounds written in either layout are still duplicates.
    expect(await store.record(roundResult(12, 'gamma'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(10, 'beta'), INTERVAL)).toBe('duplicate');
  });
});

/** The release before's record script (lua-v1/record-results-v2.lua: 70-bit entries, written with BITFIELD). */
interface V2Commands {
  vigilRecordResultsV2(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
}

describe('a history ring of 70-bit entries (the release before)', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let v2: V2Commands;
  let store: ResultStore;
  beforeEach(async () => {
    t = await testRedis('ring-v2');
    keys = redisKeys(t.prefix);
    v2 = defineScripts<V2Commands>(t.redis, new URL('./lua-v1/', import.meta.url));
    store = new ResultStore({ redis: t.redis, keys, historySize: CAP });
  });
  afterEach(() => t.cleanup());

  it('reads as it is, is written in its layout until it wraps, then converted with every entry and message', async () => {
    const vantages = ['alpha', 'beta', 'gamma'];
    const old = (results: readonly ProbeResult[]) =>
      v2.vigilRecordResultsV2(
        ...recordResultsCall(
          keys,
          CAP,
          results.map((result) => ({ result, intervalMs: INTERVAL })),
        ),
      );
    // 8 rounds × 3 vantages: the ring of 20 wrapped, in 70-bit entries.
    for (let k = 0; k < 8; k++) await old(vantages.map((v) => roundResult(k, v)));
    const base = T0 - 86_400_000;
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`24|${CAP}|${base}|70`);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(Math.ceil((CAP * 70) / 8));
    const before = await store.history('api', { limit: CAP });
    expect(before).toHaveLength(CAP);
    expect(before[0]).toMatchObject({ vantage: 'gamma', round: T0 + 7 * INTERVAL });
    expect(before.find((r) => r.vantage === 'alpha' && r.round === T0 + 6 * INTERVAL)?.message).toBe('even outage');

    // Written on in its layout: late duplicates of rounds the old script wrote are found in it.
    expect(await store.record(roundResult(6, 'beta'), INTERVAL)).toBe('duplicate');
    for (const v of vantages) expect(await store.record(roundResult(8, v), INTERVAL)).toBe('latest');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`27|${CAP}|${base}|70`);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(Math.ceil((CAP * 70) / 8));
    for (const k of [9, 10, 11]) for (const v of vantages) await store.record(roundResult(k, v), INTERVAL);
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`36|${CAP}|${base}|70`);
    const wrapping = await store.history('api', { limit: CAP });

    // The 40th entry wraps it: converted to 9-byte entries, the same entries exactly (same fields).
    for (const k of [12]) for (const v of vantages) await store.record(roundResult(k, v), INTERVAL);
    expect(await store.record(roundResult(13, 'alpha'), INTERVAL)).toBe('latest');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`${CAP}|${CAP}|${base}|72`);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(ringBytes(CAP));
    const after = await store.history('api', { limit: CAP });
    const newer = [13, 12, 12, 12].map((k, i) => roundResult(k, ['alpha', 'gamma', 'beta', 'alpha'][i] as string));
    expect(after.slice(0, 4).map((r) => [r.vantage, r.round])).toEqual(newer.map((r) => [r.vantage, r.round]));
    expect(after.slice(4)).toEqual(wrapping.slice(0, CAP - 4));
    expect(after.find((r) => r.vantage === 'alpha' && r.round === T0 + 12 * INTERVAL)?.message).toBe('even outage');
    // Late rounds written in either layout are still duplicates; the next is written in the new one.
    expect(await store.record(roundResult(11, 'gamma'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(12, 'beta'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(13, 'beta'), INTERVAL)).toBe('latest');
    expect((await store.history('api', { limit: 2 })).map((r) => [r.vantage, r.round])).toEqual([
      ['beta', T0 + 13 * INTERVAL],
      ['alpha', T0 + 13 * INTERVAL],
    ]);
  });

  it('keeps its own cap until it wraps when the cap changed too (the default did), then converts to the new one', async () => {
    const vantages = ['alpha', 'beta', 'gamma'];
    const OLD_CAP = CAP + 4;
    const old = (results: readonly ProbeResult[]) =>
      v2.vigilRecordResultsV2(
        ...recordResultsCall(
          keys,
          OLD_CAP,
          results.map((result) => ({ result, intervalMs: INTERVAL })),
        ),
      );
    for (let k = 0; k < 10; k++) await old(vantages.map((v) => roundResult(k, v)));
    const base = T0 - 86_400_000;
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`30|${OLD_CAP}|${base}|70`);
    const before = await store.history('api', { limit: OLD_CAP });
    expect(before).toHaveLength(OLD_CAP);
    // Not converted at the first result (that would convert every ring in one interval): written on
    // in its layout at its cap, its history whole, late duplicates found.
    expect(await store.record(roundResult(10, 'alpha'), INTERVAL)).toBe('latest');
    expect(await store.record(roundResult(8, 'beta'), INTERVAL)).toBe('duplicate');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`31|${OLD_CAP}|${base}|70`);
    expect((await store.history('api', { limit: OLD_CAP })).slice(1)).toEqual(before.slice(0, OLD_CAP - 1));
    for (const v of ['beta', 'gamma']) await store.record(roundResult(10, v), INTERVAL);
    for (const k of [11, 12, 13, 14]) for (const v of vantages) await store.record(roundResult(k, v), INTERVAL);
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`45|${OLD_CAP}|${base}|70`);
    const wrapping = await store.history('api', { limit: OLD_CAP });
    // Its 48th entry wraps it: converted to the new layout and cap, the newest CAP entries kept.
    for (const k of [15]) for (const v of vantages) await store.record(roundResult(k, v), INTERVAL);
    expect(await t.redis.hget(keys.latest('api'), '~w')).toBe(`${CAP}|${CAP}|${base}|72`);
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(ringBytes(CAP));
    const after = await store.history('api', { limit: OLD_CAP });
    expect(after).toHaveLength(CAP);
    expect(after.slice(3)).toEqual(wrapping.slice(0, CAP - 3));
    expect(await store.record(roundResult(14, 'gamma'), INTERVAL)).toBe('duplicate');
    expect(await store.record(roundResult(16, 'gamma'), INTERVAL)).toBe('latest');
  });
});

describe('a history ring of the default cap before (340 entries, 3,072 B) when the default is now 226', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  beforeEach(async () => {
    t = await testRedis('ring-cap');
    keys = redisKeys(t.prefix);
  });
  afterEach(() => t.cleanup());

  it('keeps its cap until it wraps (no conversion of every ring in one interval), then shrinks to the newest entries that fit, in the 2,048 B allocation', async () => {
    const OLD_DEFAULT = 340;
    const perCheck = validateConfig({ vantages: ['alpha'] }, 'test').history.perCheck;
    expect(perCheck).toBe(226);
    const vantages = ['alpha', 'beta', 'gamma'];
    const before = new ResultStore({ redis: t.redis, keys, historySize: OLD_DEFAULT });
    // 130 rounds × 3 vantages: full and wrapped, as a check running before the upgrade has it.
    for (let k = 0; k < 130; k++)
      await before.recordMany(vantages.map((v) => ({ result: roundResult(k, v), intervalMs: INTERVAL })));
    const held = await before.history('api', { limit: OLD_DEFAULT });
    expect(held).toHaveLength(OLD_DEFAULT);
    const usage = async () => Number(await t.redis.call('MEMORY', 'USAGE', keys.historyRing('api'), 'SAMPLES', '0'));
    expect(await usage()).toBeGreaterThan(3_072);

    const after = new ResultStore({ redis: t.redis, keys, historySize: perCheck });
    // Written on at its own cap: its whole history still read, late duplicates found.
    expect(await after.record(roundResult(130, 'alpha'), INTERVAL)).toBe('latest');
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(ringBytes(OLD_DEFAULT));
    const history = await after.history('api', { limit: OLD_DEFAULT });
    expect(history).toHaveLength(OLD_DEFAULT);
    expect(history.slice(1)).toEqual(held.slice(0, OLD_DEFAULT - 1));
    expect(await after.record(roundResult(129, 'gamma'), INTERVAL)).toBe('duplicate');
    for (const v of ['beta', 'gamma']) await after.record(roundResult(130, v), INTERVAL);
    // Entries 393…679: rounds 131…225, and round 226 from alpha; the ring wraps at entry 680.
    for (let k = 131; k < 226; k++)
      await after.recordMany(vantages.map((v) => ({ result: roundResult(k, v), intervalMs: INTERVAL })));
    await after.record(roundResult(226, 'alpha'), INTERVAL);
    expect(await t.redis.hget(keys.latest('api'), '~w')).toMatch(new RegExp(`^679\\|${OLD_DEFAULT}\\|\\d+\\|72$`));
    const wrapping = await after.history('api', { limit: OLD_DEFAULT });
    expect(wrapping).toHaveLength(OLD_DEFAULT);

    expect(await after.record(roundResult(226, 'beta'), INTERVAL)).toBe('latest');
    expect(await t.redis.strlen(keys.historyRing('api'))).toBe(ringBytes(perCheck));
    // Rewritten whole (a new allocation), not cut in place: the key and its string in ~2.1 KB.
    expect(await usage()).toBeLessThanOrEqual(2_048 + 128);
    const shrunk = await after.history('api', { limit: OLD_DEFAULT });
    expect(shrunk).toHaveLength(perCheck);
    expect(shrunk[0]).toMatchObject({ vantage: 'beta', round: roundResult(226, 'beta').round });
    expect(shrunk.slice(1)).toEqual(wrapping.slice(0, perCheck - 1));
    // Late duplicates of what it kept are still found; written on at the new cap.
    expect(await after.record(roundResult(225, 'gamma'), INTERVAL)).toBe('duplicate');
    expect(await after.record(roundResult(226, 'gamma'), INTERVAL)).toBe('latest');
    expect(await t.redis.hget(keys.latest('api'), '~w')).toMatch(
      new RegExp(`^${perCheck + 1}\\|${perCheck}\\|\\d+\\|72$`),
    );
    expect((await after.history('api', { limit: OLD_DEFAULT })).slice(2)).toEqual(wrapping.slice(0, perCheck - 2));
  });
});
