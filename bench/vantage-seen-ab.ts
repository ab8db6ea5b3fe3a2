/**
 * Vantage health's "checks seen in the window", the sorted set before (a ZADD of a batch's ids and
 * rounds a vantage, ZREMRANGEBYSCORE + ZCARD a tick) against HyperLogLogs per time bucket (a PFADD
 * and a PEXPIRE a vantage and bucket, PFCOUNT over the window's buckets a tick), each bucket left to
 * start sparse (side `sparse`, as PFADD makes it) or SET to an empty dense HLL first (side `dense`,
 * once a bucket key, as SeenWindow does), the three sides taking turns batch by batch on one
 * redis-server of its own: `tsx bench/vantage-seen-ab.ts [checks] [rounds] [buckets a window]`.
 * 10,000 checks × 3 vantages every 60 s by default, their rounds spread over the interval as slots
 * spread them, decided in batches of 200 in round order; the window 60 s (2 buckets of 30 s), a tick
 * every 2 s of rounds. Prints each side's Redis time (INFO commandstats) and redis-server CPU a
 * check-round, the ticks' Redis time on their own and spread over the check-rounds, and MEMORY USAGE
 * of what the window keeps a check. The HLL sides' ticks are measured twice: as a healthy fleet's
 * (no vantage with solo failures to weigh: no PFCOUNT) and counting every vantage (PFCOUNT of the
 * window's buckets). The commands are those Observations.queue and VantageHealth.status send
 * (notifier's evaluation/vantage-health.ts, vantage-seen.ts), written out here.
 */
import { type RedisKeys, redisKeys } from '@vigil/core';
import type { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const BATCH = 200;
const INTERVAL_MS = 60_000;
const WINDOW_MS = 60_000;
let BUCKET_MS = WINDOW_MS / 2;
const TICK_MS = 2_000;

type Side = 'zset' | 'sparse' | 'dense';
const SIDES: readonly Side[] = ['zset', 'sparse', 'dense'];

/** An empty dense HLL, as vantage-seen.ts's EMPTY_DENSE_HLL: "HYLL", encoding 0, 16384 6-bit registers. */
const EMPTY_DENSE_HLL = Buffer.alloc(16 + 12_288);
EMPTY_DENSE_HLL.write('HYLL', 0, 'latin1');
/** The dense side's bucket keys already SET (once a key, as a notifier process remembers them). */
const created = new Set<string>();

/** The sides in turn `turn`'s order: each side first, second and last as often. */
const inTurn = (turn: number) => SIDES.map((_, i) => SIDES[(i + turn) % SIDES.length] as Side);

interface Counters {
  cpu: number;
  usec: number;
  calls: number;
}

/** redis-server CPU (µs) and commandstats (µs and calls, INFO left out), `cpuLast`: CPU read after the stats. */
async function counters(redis: Redis, cpuLast: boolean): Promise<Counters> {
  const cpuOf = async () => {
    const text = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const cpuFirst = cpuLast ? 0 : await cpuOf();
  let usec = 0;
  let calls = 0;
  for (const [, name, n, u] of (await redis.info('commandstats')).matchAll(
    /cmdstat_([a-z_|]+):calls=(\d+),usec=(\d+)/g,
  )) {
    if (name === 'info') continue;
    calls += Number(n);
    usec += Number(u);
  }
  return { cpu: cpuLast ? await cpuOf() : cpuFirst, usec, calls };
}

/** Runs `queue`'s commands in one pipeline and adds what they cost Redis to `into`. */
async function measured(redis: Redis, into: Counters, queue: (pipeline: ReturnType<Redis['pipeline']>) => void) {
  const pipeline = redis.pipeline();
  queue(pipeline);
  const before = await counters(redis, true);
  const replies = (await pipeline.exec()) ?? [];
  const after = await counters(redis, false);
  const failed = replies.find(([err]) => err)?.[0];
  if (failed) throw failed;
  into.cpu += after.cpu - before.cpu;
  into.usec += after.usec - before.usec;
  into.calls += after.calls - before.calls;
}

const bucketOf = (round: number) => Math.floor(round / BUCKET_MS) * BUCKET_MS;
const ttlOf = (start: number, now: number) => start + BUCKET_MS + WINDOW_MS - now;

/** The batch's observations as each side queues them (`now`: when the batch is decided). */
function queueBatch(side: Side, keys: RedisKeys, batch: readonly { id: string; round: number }[], now: number) {
  return (pipeline: ReturnType<Redis['pipeline']>) => {
    for (const vantage of VANTAGES) {
      if (side === 'zset') {
        pipeline.zadd(keys.vantageSeen(vantage), ...batch.flatMap(({ id, round }) => [round, id]));
        continue;
      }
      const buckets = new Map<number, string[]>();
      for (const { id, round } of batch) buckets.set(bucketOf(round), [...(buckets.get(bucketOf(round)) ?? []), id]);
      for (const [start, ids] of buckets) {
        const ttl = ttlOf(start, now);
        if (ttl <= 0) continue;
        const key = keys.vantageSeenBucket(vantage, start);
        if (side === 'dense' && !created.has(key)) {
          pipeline.set(key, EMPTY_DENSE_HLL, 'PX', ttl, 'NX');
          created.add(key);
        }
        pipeline.pfadd(keys.vantageSeenBucket(vantage, start), ...ids);
        pipeline.pexpire(keys.vantageSeenBucket(vantage, start), ttl);
      }
    }
  };
}

/**
 * A tick's count of every vantage, as each side's status() asks it: the HLL side trims and counts
 * the zset of the layout before (gone), and with `count` merges the window's buckets too.
 */
function queueTick(side: Side, keys: RedisKeys, now: number, count: boolean) {
  return (pipeline: ReturnType<Redis['pipeline']>) => {
    for (const vantage of VANTAGES) {
      pipeline.zremrangebyscore(keys.vantageSeen(vantage), '-inf', `(${now - WINDOW_MS}`);
      pipeline.zcard(keys.vantageSeen(vantage));
      if (side !== 'zset' && count) {
        const covered: string[] = [];
        for (let start = bucketOf(now - WINDOW_MS); start <= now; start += BUCKET_MS)
          covered.push(keys.vantageSeenBucket(vantage, start));
        pipeline.pfcount(...covered);
      }
    }
  };
}

/** MEMORY USAGE of what the window keeps at `now`: the zset, or the buckets not yet expired. */
async function kept(redis: Redis, side: Side, keys: RedisKeys, now: number): Promise<{ bytes: number; keys: number }> {
  const names: string[] = [];
  for (const vantage of VANTAGES) {
    if (side === 'zset') names.push(keys.vantageSeen(vantage));
    else
      for (let start = bucketOf(now - WINDOW_MS - BUCKET_MS); start <= now; start += BUCKET_MS)
        if (ttlOf(start, now) > 0) names.push(keys.vantageSeenBucket(vantage, start));
  }
  let bytes = 0;
  for (const name of names) bytes += Number((await redis.memory('USAGE', name, 'SAMPLES', 0)) ?? 0);
  return { bytes, keys: names.length };
}

async function main(checks: number, rounds: number): Promise<void> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url, 'vigil');
  try {
    // Prefixes as long as the default (key names count in MEMORY USAGE), one a side: the HLL side's
    // ticks still trim and count a zset of the layout before, its own, empty.
    const sideKeys: Record<Side, RedisKeys> = {
      zset: redisKeys('vigil'),
      sparse: redisKeys('vigim'),
      dense: redisKeys('vigin'),
    };
    const zero = (): Record<Side, Counters> => ({
      zset: { cpu: 0, usec: 0, calls: 0 },
      sparse: { cpu: 0, usec: 0, calls: 0 },
      dense: { cpu: 0, usec: 0, calls: 0 },
    });
    const batches = zero();
    const ticks = zero();
    const counting = zero();
    const first = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - rounds * INTERVAL_MS;
    let turn = 0;
    let tickCount = 0;
    let nextTick = first + TICK_MS;
    let now = first;
    for (let k = 0; k < rounds; k++) {
      // Check c's round at its offset in the interval; a batch decided a second after its last round.
      const all = Array.from({ length: checks }, (_, c) => ({
        id: `check-${c}`,
        round: first + k * INTERVAL_MS + Math.floor((c * INTERVAL_MS) / checks),
      }));
      for (let i = 0; i < all.length; i += BATCH) {
        const batch = all.slice(i, i + BATCH);
        now = (batch.at(-1)?.round ?? now) + 1_000;
        for (const side of inTurn(turn++))
          await measured(bench.redis, batches[side], queueBatch(side, sideKeys[side], batch, now));
        for (; nextTick <= now; nextTick += TICK_MS, tickCount++)
          for (const side of inTurn(tickCount)) {
            await measured(bench.redis, ticks[side], queueTick(side, sideKeys[side], nextTick, false));
            if (side !== 'zset')
              await measured(bench.redis, counting[side], queueTick(side, sideKeys[side], nextTick, true));
          }
      }
    }
    const checkRounds = checks * rounds;
    const memory = {
      zset: await kept(bench.redis, 'zset', sideKeys.zset, now),
      sparse: await kept(bench.redis, 'sparse', sideKeys.sparse, now),
      dense: await kept(bench.redis, 'dense', sideKeys.dense, now),
    };
    for (const side of SIDES) {
      const b = batches[side];
      const t = ticks[side];
      console.log(
        `${side}: batches ${(b.usec / checkRounds).toFixed(3)} µs Redis / ${(b.cpu / checkRounds).toFixed(3)} µs CPU a check-round (${(b.calls / (checkRounds / BATCH)).toFixed(1)} commands a batch); ` +
          `ticks ${(t.usec / tickCount).toFixed(1)} µs Redis / ${(t.cpu / tickCount).toFixed(1)} µs CPU a tick, ${(t.usec / checkRounds).toFixed(3)} µs Redis a check-round; ` +
          `kept ${memory[side].keys} keys, ${(memory[side].bytes / checks).toFixed(1)} B a check`,
      );
    }
    for (const side of ['sparse', 'dense'] as const) {
      const c = counting[side];
      console.log(
        `${side}, ticks counting every vantage: ${(c.usec / tickCount).toFixed(1)} µs Redis / ${(c.cpu / tickCount).toFixed(1)} µs CPU a tick, ${(c.usec / checkRounds).toFixed(3)} µs Redis a check-round`,
      );
    }
    const ratio = (a: Side, b: Side, f: (side: Side) => number) => (f(a) / f(b)).toFixed(3);
    for (const [a, b] of [
      ['sparse', 'zset'],
      ['dense', 'zset'],
      ['dense', 'sparse'],
    ] as const)
      console.log(
        `${a} ÷ ${b}: batches Redis ${ratio(a, b, (s) => batches[s].usec)}, CPU ${ratio(a, b, (s) => batches[s].cpu)}; batches + ticks Redis ${ratio(a, b, (s) => batches[s].usec + ticks[s].usec)}; bytes ${ratio(a, b, (s) => memory[s].bytes)}`,
      );
    console.log(`(${checks} checks × ${VANTAGES.length} vantages × ${rounds} rounds, ${tickCount} ticks each)`);
  } finally {
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

BUCKET_MS = WINDOW_MS / Number(process.argv[4] ?? 2);
await main(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 10));
