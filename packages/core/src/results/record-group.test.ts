import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../probes/probe-result.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import { deletePrefix, sampleResult, T0, testRedis } from '../testing/index.js';
import {
  type BookReply,
  RESULT_SCRIPTS,
  type RecordOutcome,
  ResultStore,
  type ResultToRecord,
  recordResultsCall,
} from './result-store.js';

const INTERVAL = 30_000;
const VANTAGES = ['alpha', 'beta', 'gamma', 'delta'];
/** Past MAX_INDEX (15) in some seeds: a vantage's results then go to the list, one by one. */
const MANY_VANTAGES = [...VANTAGES, ...Array.from({ length: 14 }, (_, i) => `v${i}`)];
const CHECKS = ['api', 'web', 'db', 'new1', 'new2'];

type Reply = { recorded: RecordOutcome; booked?: BookReply };

/** mulberry32: a seeded generator, so a failing sequence can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Results as probers deliver them: every check's vantages a round (some missing), some failing with a
 * message, most booked for their round (1–3 vantages expected, the same for a check's round), some
 * late by a round or two, some delivered twice. Checks registered partway (their first round new:
 * no latest hash nor ring), vantages joining a check partway (seen for the first time), and in some
 * seeds more vantages than a ring's entries can index.
 */
function sequence(random: () => number, rounds: number): ResultToRecord[] {
  const out: ResultToRecord[] = [];
  const later: { at: number; entry: ResultToRecord }[] = [];
  const vantages = random() < 0.3 ? MANY_VANTAGES : VANTAGES;
  const joins = new Map<string, number>();
  for (const checkId of CHECKS) {
    const start = checkId.startsWith('new') ? Math.floor(random() * (rounds / 2)) : 0;
    for (const vantage of vantages) {
      joins.set(`${checkId}|${vantage}`, start + (random() < 0.3 ? Math.floor(random() * 4) : 0));
    }
  }
  for (let k = 0; k < rounds; k++) {
    const round = T0 + k * INTERVAL;
    for (const checkId of CHECKS) {
      const expected = 1 + Math.floor(random() * 3);
      const booked = random() < 0.85;
      for (const vantage of vantages) {
        if (k < (joins.get(`${checkId}|${vantage}`) ?? 0) || random() < 0.1) continue;
        const failing = random() < 0.15;
        const result: ProbeResult = sampleResult({
          checkId,
          vantage,
          round,
          ok: !failing,
          ...(failing ? { error: 'timeout', message: random() < 0.5 ? 'timed out' : `timed out after ${k}` } : {}),
        });
        const entry: ResultToRecord = {
          result,
          intervalMs: INTERVAL,
          ...(booked && random() < 0.95
            ? { booking: { deadline: round + INTERVAL, expected, outcome: `{"ok":${!failing},"v":"${vantage}"}` } }
            : {}),
        };
        const roll = random();
        if (roll < 0.08) later.push({ at: k + 1 + Math.floor(random() * 2), entry });
        else out.push(entry);
        if (roll > 0.95) later.push({ at: k + Math.floor(random() * 3), entry });
      }
    }
    for (const { entry } of later.filter(({ at }) => at === k)) out.push(entry);
  }
  return out;
}

/** `entries` cut into batches of 1–`most`, each with its checks interleaved at random (a check's own order kept). */
function mergedBatches(random: () => number, entries: ResultToRecord[], most: number): ResultToRecord[][] {
  const batches: ResultToRecord[][] = [];
  for (let i = 0; i < entries.length; ) {
    const size = 1 + Math.floor(random() * most);
    const queues = new Map<string, ResultToRecord[]>();
    for (const entry of entries.slice(i, i + size)) {
      queues.set(entry.result.checkId, [...(queues.get(entry.result.checkId) ?? []), entry]);
    }
    const batch: ResultToRecord[] = [];
    while (queues.size > 0) {
      const ids = [...queues.keys()];
      const id = ids[Math.floor(random() * ids.length)] as string;
      const queue = queues.get(id) ?? [];
      batch.push(queue.shift() as ResultToRecord);
      if (queue.length === 0) queues.delete(id);
    }
    batches.push(batch);
    i += size;
  }
  return batches;
}

/** The keys under `prefix` (SCAN: the test Redis is shared). */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    out.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/**
 * Every key under `prefix` as comparable text (the prefix cut off): strings and lists as bytes, hashes
 * as sorted fields (a hash's encoding depends on the values it once held), and the pending rounds as
 * the rounds they list whose book is still there (the members' grouping depends on the calls).
 */
async function snapshot(redis: Redis, prefix: string, keys: RedisKeys): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const names = (await keysUnder(redis, prefix)).sort();
  const books = new Set<string>();
  for (const name of names) {
    const type = await redis.type(name);
    const key = name.slice(prefix.length);
    if (type === 'string') out[key] = (await redis.getBuffer(name))?.toString('hex');
    else if (type === 'list') out[key] = (await redis.lrangeBuffer(name, 0, -1)).map((b) => b.toString('hex'));
    else if (type === 'hash') {
      const hash = await redis.hgetall(name);
      out[key] = Object.entries(hash).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const checkId of CHECKS) {
        if (name !== keys.latest(checkId)) continue;
        for (const [field, value] of Object.entries(hash)) {
          if (field.startsWith('~b') && value !== '~') books.add(`${checkId}|${field.slice(2)}`);
        }
      }
    } else if (type !== 'zset') out[key] = type;
  }
  const pending = new Set<string>();
  for (const name of names.filter((n) => n.includes('pending'))) {
    for (const member of await redis.zrange(name, 0, -1)) {
      const parts = member.replace(/^\|/, '').split('|');
      for (let i = 0; i + 1 < parts.length; i += 2) pending.add(`${parts[i]}|${parts[i + 1]}`);
    }
  }
  // A waiting book is always in the pending rounds: the deadline sweep finds it there.
  expect([...books].filter((book) => !pending.has(book))).toEqual([]);
  out.pending = [...pending].filter((round) => books.has(round)).sort();
  return out;
}

describe('recording a check’s results together', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  beforeEach(async () => {
    ctx = await testRedis('record-group');
  });
  afterEach(() => ctx.cleanup());

  const stores = (historySize: number) => {
    const one = redisKeys(`${ctx.prefix}:one`);
    const merged = redisKeys(`${ctx.prefix}:merged`);
    return {
      one,
      merged,
      alone: new ResultStore({ redis: ctx.redis, keys: one, historySize }),
      together: new ResultStore({ redis: ctx.redis, keys: merged, historySize }),
    };
  };

  for (const historySize of [7, 200]) {
    it(`ends with the same keys and replies as one result a call (history ${historySize})`, async () => {
      for (let seed = 1; seed <= 12; seed++) {
        const random = seeded(seed * 7919 + historySize);
        const { one, merged, alone, together } = stores(historySize);
        const entries = sequence(random, 14);
        const expected: Reply[] = [];
        for (const entry of entries) expected.push(...(await alone.recordAndBook([entry])));
        const replies = new Map<ResultToRecord, Reply[]>();
        for (const batch of mergedBatches(random, entries, 40)) {
          const answers = await together.recordAndBook(batch);
          batch.forEach((entry, i) => {
            replies.set(entry, [...(replies.get(entry) ?? []), answers[i] as Reply]);
          });
        }
        // A result delivered twice is the same object twice: its replies in delivery order.
        const got = entries.map((entry) => (replies.get(entry) ?? []).shift());
        expect({ seed, replies: got }).toEqual({ seed, replies: expected });
        const a = await snapshot(ctx.redis, `${ctx.prefix}:one`, one);
        const b = await snapshot(ctx.redis, `${ctx.prefix}:merged`, merged);
        expect({ seed, keys: b }).toEqual({ seed, keys: a });
        await deletePrefix(ctx.redis, ctx.prefix);
      }
    });
  }

  it('leaves a vantage with a round field from before (`<vantage>:round`, no index) to the one-by-one path', async () => {
    const { one, merged, alone, together } = stores(20);
    const at = (vantages: string[], k: number) =>
      vantages.map((vantage) => ({
        result: sampleResult({ vantage, round: T0 + k * INTERVAL }),
        intervalMs: INTERVAL,
      }));
    for (const keys of [one, merged]) {
      const store = keys === one ? alone : together;
      await store.recordAndBook(at(['alpha'], 0));
      await ctx.redis.hset(keys.latest('api'), 'beta:round', String(T0 + 2 * INTERVAL));
    }
    const expected: Reply[] = [];
    for (const entry of at(['alpha', 'beta', 'gamma'], 1)) expected.push(...(await alone.recordAndBook([entry])));
    // Beta's round 1 is older than its latest (round 2, in the old field): late, not its next.
    expect(expected.map((reply) => reply.recorded)).toEqual(['latest', 'late', 'latest']);
    expect(await together.recordAndBook(at(['alpha', 'beta', 'gamma'], 1))).toEqual(expected);
    const a = await snapshot(ctx.redis, `${ctx.prefix}:one`, one);
    const b = await snapshot(ctx.redis, `${ctx.prefix}:merged`, merged);
    expect(b).toEqual(a);
  });

  it('returns a round completed within the group once, with no book left nor pending round, in one read and one write', async () => {
    const keys = redisKeys(ctx.prefix);
    const store = new ResultStore({ redis: ctx.redis, keys, historySize: 20 });
    const booked = (vantage: string, round: number): ResultToRecord => ({
      result: sampleResult({ vantage, round }),
      intervalMs: INTERVAL,
      booking: { deadline: round + INTERVAL, expected: 3, outcome: `{"v":"${vantage}"}` },
    });
    // A round decided before: `~a` is there (without it the state's `lastRound` is read, once).
    await store.recordAndBook(['alpha', 'beta', 'gamma'].map((v) => booked(v, T0)));
    const round = T0 + INTERVAL;
    const commands = await luaCommands(ctx.redis, ctx.prefix, () =>
      store.recordAndBook(['alpha', 'beta', 'gamma'].map((v) => booked(v, round))),
    );
    expect(commands.replies).toEqual([
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: { book: '\nalpha\t{"v":"alpha"}\nbeta\t{"v":"beta"}\ngamma\t{"v":"gamma"}' } },
    ]);
    expect(commands.names).toEqual(['HMGET', 'SETRANGE', 'HSET']);
    const latest = await ctx.redis.hgetall(keys.latest('api'));
    expect(latest['~a']).toBe(String(round));
    expect(Object.keys(latest).filter((field) => field.startsWith('~b'))).toEqual([]);
    // Each round completed within its group (the first a new check's, recorded together too): neither
    // was ever put in the pending rounds.
    const pending = await ctx.redis.zrange(keys.pendingRounds(keys.shardOf('api')), 0, -1);
    expect(pending).toEqual([]);
    expect((await store.history('api')).map((r) => [r.vantage, r.round - T0])).toEqual([
      ['gamma', INTERVAL],
      ['beta', INTERVAL],
      ['alpha', INTERVAL],
      ['gamma', 0],
      ['beta', 0],
      ['alpha', 0],
    ]);
  });

  it('replies + 6 without the book to a round completed by the group with no book before; the store joins it from what it sent', async () => {
    const keys = redisKeys(ctx.prefix);
    const store = new ResultStore({ redis: ctx.redis, keys, historySize: 20 });
    const script = defineScripts<{ vigilRecordResults(...args: (string | number)[]): Promise<unknown[]> }>(
      ctx.redis,
      RESULT_SCRIPTS,
    );
    const booked = (vantage: string, k: number): ResultToRecord => ({
      result: sampleResult({ vantage, round: T0 + k * INTERVAL }),
      intervalMs: INTERVAL,
      booking: { deadline: T0 + (k + 1) * INTERVAL, expected: 3, outcome: `{"v":"${vantage}"}` },
    });
    const raw = (entries: ResultToRecord[]) => script.vigilRecordResults(...recordResultsCall(keys, 20, entries));
    await store.recordAndBook(['alpha', 'beta', 'gamma'].map((v) => booked(v, 0)));
    expect(await raw(['alpha', 'beta', 'gamma'].map((v) => booked(v, 1)))).toEqual([4, 4, 7]);
    const books = async () =>
      Object.keys(await ctx.redis.hgetall(keys.latest('api'))).filter((f) => f.startsWith('~b'));
    expect(await books()).toEqual([]);
    // A book stored before the group (alpha's, alone): the round's book comes back whole.
    await raw([booked('alpha', 2)]);
    expect(await raw(['gamma', 'beta'].map((v) => booked(v, 2)))).toEqual([
      4,
      [1, '\nalpha\t{"v":"alpha"}\ngamma\t{"v":"gamma"}\nbeta\t{"v":"beta"}'],
    ]);
    // Two rounds in one group: delta's round 4 (one vantage expected) completes alone, and gamma's
    // round 3 is then late; alpha's and beta's wait, their book stored.
    const alone = { ...booked('delta', 4), booking: { deadline: T0 + 5 * INTERVAL, expected: 1, outcome: '{}' } };
    expect(await store.recordAndBook([booked('alpha', 3), booked('beta', 3), alone, booked('gamma', 3)])).toEqual([
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: { book: '\ndelta\t{}' } },
      { recorded: 'latest', booked: 'late' },
    ]);
    expect(await ctx.redis.hget(keys.latest('api'), `~b${T0 + 3 * INTERVAL}`)).toBe(
      '\x02\nalpha\t{"v":"alpha"}\nbeta\t{"v":"beta"}',
    );
    expect(await store.recordAndBook(['gamma', 'beta', 'alpha'].map((v) => booked(v, 5)))).toEqual([
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: 'waiting' },
      { recorded: 'latest', booked: { book: '\ngamma\t{"v":"gamma"}\nbeta\t{"v":"beta"}\nalpha\t{"v":"alpha"}' } },
    ]);
    expect(await books()).toEqual([`~b${T0 + 3 * INTERVAL}`]);
  });

  it('records a new check’s first round together: its ring made once, its vantages indexed in order', async () => {
    const keys = redisKeys(ctx.prefix);
    const store = new ResultStore({ redis: ctx.redis, keys, historySize: 20 });
    const at = (vantages: string[], k: number) =>
      vantages.map((vantage) => ({
        result: sampleResult({ vantage, round: T0 + k * INTERVAL }),
        intervalMs: INTERVAL,
      }));
    const first = await luaCommands(ctx.redis, ctx.prefix, () => store.recordAndBook(at(['beta', 'alpha'], 0)));
    expect(first.names).toEqual(['HMGET', 'HMGET', 'SETRANGE', 'SETRANGE', 'HSET']);
    expect(first.replies.map((reply) => reply.recorded)).toEqual(['latest', 'latest']);
    // A vantage seen for the first time beside known ones: the next index, still together.
    const joined = await luaCommands(ctx.redis, ctx.prefix, () =>
      store.recordAndBook(at(['alpha', 'gamma', 'beta'], 1)),
    );
    expect(joined.names).toEqual(['HMGET', 'HMGET', 'SETRANGE', 'HSET']);
    const latest = await ctx.redis.hgetall(keys.latest('api'));
    expect([latest['beta:i'], latest['alpha:i'], latest['gamma:i'], latest['~n']]).toEqual([
      `1|0|${T0 + INTERVAL}`,
      `2|0|${T0 + INTERVAL}`,
      `3|0|${T0 + INTERVAL}`,
      '3',
    ]);
    expect(latest['~w']).toBe(`5|20|${T0 - 86_400_000}|72`);
    expect(await ctx.redis.strlen(keys.historyRing('api'))).toBe(20 * 9);
    expect((await store.history('api')).map((r) => [r.vantage, (r.round - T0) / INTERVAL])).toEqual([
      ['beta', 1],
      ['gamma', 1],
      ['alpha', 1],
      ['alpha', 0],
      ['beta', 0],
    ]);
  });

  it('records a group reaching the ring’s wrap result by result, and keeps every entry', async () => {
    const keys = redisKeys(ctx.prefix);
    const store = new ResultStore({ redis: ctx.redis, keys, historySize: 4 });
    const vantages = ['alpha', 'beta', 'gamma'];
    const at = (k: number) =>
      vantages.map((vantage) => ({
        result: sampleResult({ vantage, round: T0 + k * INTERVAL }),
        intervalMs: INTERVAL,
      }));
    await store.recordAndBook(at(0));
    // Written 3 of 4: this group's first entry fills the ring, and the ring wraps within it.
    const commands = await luaCommands(ctx.redis, ctx.prefix, () => store.recordAndBook(at(1)));
    expect(commands.names.filter((name) => name === 'HMGET').length).toBeGreaterThan(1);
    expect(commands.replies.map((reply) => reply.recorded)).toEqual(['latest', 'latest', 'latest']);
    await store.recordAndBook(at(2));
    expect((await store.history('api')).map((r) => [r.vantage, (r.round - T0) / INTERVAL])).toEqual([
      ['gamma', 2],
      ['beta', 2],
      ['alpha', 2],
      ['gamma', 1],
    ]);
    expect(await ctx.redis.hget(keys.latest('api'), '~w')).toMatch(/^9\|4\|/);
  });
});

/** The commands the record script sent for keys under `prefix` while `run` ran (MONITOR), and what `run` returned. */
async function luaCommands<T>(
  redis: Redis,
  prefix: string,
  run: () => Promise<T>,
): Promise<{ names: string[]; replies: T }> {
  const monitor = await redis.monitor();
  const names: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' && args.some((arg) => arg.startsWith(prefix))) names.push(String(args[0]).toUpperCase());
  });
  try {
    const replies = await run();
    // MONITOR lines arrive after the reply: a PING through the monitor's own connection orders them.
    await redis.ping();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { names, replies };
  } finally {
    monitor.disconnect();
  }
}
