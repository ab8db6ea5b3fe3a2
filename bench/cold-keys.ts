/**
 * What a check's round costs Redis when its keys are cold, on a redis-server of its own with nothing
 * else running: `tsx bench/cold-keys.ts [checks] [calls]`. Fills `checks` (1,000,000 by default)
 * checks' latest hash, state hash and history ring as a running fleet holds them (listpack hashes of
 * 9 and 13 fields, a 2,034-byte ring; each family written in turn, so a check's three keys are not
 * neighbours in memory), then times one script doing a check-round's commands (the latest hash's
 * HMGET and HSET, the ring's SETRANGE, the state's HMGET and HSET: what record-results.lua and
 * apply-verdicts.lua send for a check's round) for 200 random checks a call, the checks drawn from
 * the first 10,000, the first 100,000 or all of them, in turn and twice, on the same keys. Only
 * where in memory the keys are differs between the rows: the difference is the price of cold keys.
 * Prints redis-server CPU (INFO used_cpu_user + used_cpu_sys) a check-round for each draw.
 */
import { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { fmt } from './support/stats.js';
import { renderTable } from './support/table.js';

const CHECKS = Number(process.argv[2] ?? 1_000_000);
const CALLS = Number(process.argv[3] ?? 1_000);
const PER_CALL = 200;
const DRAWS = [10_000, 100_000, CHECKS].filter((n, i, all) => n <= CHECKS && all.indexOf(n) === i);

const ROUND = '1796396478000';
const LATEST = [
  ...['alpha', 'beta', 'gamma'].flatMap((vantage, i) => [
    vantage,
    `s${52 + i} f12 o c200 a127.0.0.1 t1,2,,11,12`,
    `${vantage}:i`,
    `${i + 1}|0|${ROUND}`,
  ]),
  ...['~w', `3|226|1796310078000|72`, '~n', '3', '~a', ROUND],
];
const STATE = [
  ...['firstSeen', '1796396010907', 'lastRound', ROUND, 'state', 'up', 'since', ROUND],
  ...['failStreak', '0', 'goodStreak', '1', 'okStreak', '1', 'badStreak', '0', 'recoveryStart', ROUND],
  ...['lastGoodRound', ROUND, 'okRecoveryStart', ROUND, 'lastOkRound', ROUND, 'hourCounts', '498999|1'],
];
const RING = Buffer.alloc(2_034, 7);

/** A check-round's commands, for each check's three keys in turn (latest, state, ring). */
const CHECK_ROUND = `
for i = 1, #KEYS, 3 do
  redis.call('HMGET', KEYS[i], 'alpha:i', '~w', '~a')
  redis.call('HSET', KEYS[i], 'alpha', ARGV[1], 'alpha:i', ARGV[2], 'beta', ARGV[1], 'beta:i', ARGV[2],
    'gamma', ARGV[1], 'gamma:i', ARGV[2], '~w', ARGV[3], '~a', ARGV[4])
  redis.call('SETRANGE', KEYS[i + 2], 900, ARGV[5])
  redis.call('HMGET', KEYS[i + 1], 'lastRound', 'state', 'failStreak', 'goodStreak', 'okStreak', 'badStreak',
    'detail', 'hourCounts')
  redis.call('HSET', KEYS[i + 1], 'lastRound', ARGV[4], 'goodStreak', '2', 'okStreak', '2', 'hourCounts', '498999|2')
end
return 0`;

const keysOf = (i: number) => [`vigil:{check-${i}}:latest`, `vigil:{check-${i}}:state`, `vigil:{check-${i}}:ring`];

async function fill(redis: Redis): Promise<void> {
  for (const family of [0, 1, 2])
    for (let from = 0; from < CHECKS; from += 2_000) {
      const pipeline = redis.pipeline();
      for (let i = from; i < Math.min(CHECKS, from + 2_000); i++) {
        const key = keysOf(i)[family] as string;
        if (family === 0) pipeline.hset(key, ...LATEST);
        else if (family === 1) pipeline.hset(key, ...STATE);
        else pipeline.set(key, RING);
      }
      await pipeline.exec();
    }
}

async function cpuUs(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** redis-server CPU a check-round over `CALLS` calls of 200 checks drawn from the first `draw`. */
async function measure(redis: Redis, sha: string, draw: number): Promise<number> {
  const latest = 's60 f12 o c200 a127.0.0.1 t1,2,,11,12';
  const before = await cpuUs(redis);
  for (let call = 0; call < CALLS; call++) {
    const keys: string[] = [];
    for (let k = 0; k < PER_CALL; k++) keys.push(...keysOf(Math.floor(Math.random() * draw)));
    await redis.evalsha(
      sha,
      keys.length,
      ...keys,
      latest,
      `1|0|${ROUND}`,
      `3|226|1796310078000|72`,
      ROUND,
      'x'.repeat(27),
    );
  }
  return ((await cpuUs(redis)) - before) / (CALLS * PER_CALL);
}

const server = await startRedisServer();
// Commands wait while the server starts (ioredis retries the connection).
const redis = new Redis(server.url, { maxRetriesPerRequest: null });
try {
  await fill(redis);
  const sha = (await redis.script('LOAD', CHECK_ROUND)) as string;
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  const rows: string[][] = [];
  const figures: Record<number, number[]> = {};
  for (const pass of [1, 2])
    for (const draw of DRAWS) {
      const us = await measure(redis, sha, draw);
      figures[draw] = [...(figures[draw] ?? []), us];
      rows.push([`${fmt(draw)} of ${fmt(CHECKS)}`, String(pass), fmt(us, 2)]);
    }
  const warm = Math.min(...(figures[DRAWS[0] as number] ?? [0]));
  const cold = Math.min(...(figures[CHECKS] ?? [0]));
  console.log(
    renderTable({
      title: `A check-round's commands on ${fmt(CHECKS)} checks' keys (used_memory ${fmt(used / 1e9, 2)} GB), 200 random checks a call`,
      columns: ['checks drawn from', 'pass', 'redis-server CPU µs a check-round'],
      rows,
      notes: [
        `all ${fmt(CHECKS)} ÷ the first ${fmt(DRAWS[0] as number)} (best of two): ${fmt(cold / warm, 2)}× (${fmt(cold - warm, 2)} µs more a check-round, ${fmt((cold - warm) / 3, 2)} a probe from 3 vantages)`,
      ],
    }),
  );
} finally {
  redis.disconnect();
  server.process.kill('SIGTERM');
}
