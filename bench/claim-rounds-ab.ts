/**
 * The notifier's claim script (claim-rounds.lua) of the working tree against the one of a commit,
 * alternating sweep by sweep on one redis-server of its own, on the same pending rounds: `tsx
 * bench/claim-rounds-ab.ts COMMIT [rounds]`. 1,000 checks, rounds 60 s apart, each round booked in
 * entries of 200 rounds as a prober batch books them; by its deadline 99% of a round's rounds were
 * completed by their last vantage (book gone, `~a` raised), 1% (1 in 20 of one entry's: a slow
 * prober batch) wait with two outcomes of three and are claimed. Each sweep claims one round's five entries (1,000 rounds examined), as the evaluator
 * calls the script. Prints each script's Redis time a round examined (INFO commandstats: EVALSHA,
 * nested commands included) and redis-server CPU a round, and their ratio; fails unless both
 * replied alike and left the same hashes and pending set.
 */
import type { RedisKeys } from '@vigil/core';
import type { Redis } from 'ioredis';
import {
  commitArgument,
  measured,
  printComparison,
  SIDES,
  type Side,
  scriptFolder,
  withScriptSides,
} from './support/script-ab.js';

const CHECKS = 1_000;
const ENTRY = 200;
const INTERVAL_MS = 60_000;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const SCRIPT = 'packages/notifier/src/evaluation/lua/claim-rounds.lua';

/** Whether check `c`'s round `k` still waits for a vantage at its deadline: 1 in 20 of one entry's. */
function waiting(c: number, k: number): boolean {
  return c < ENTRY && (c + k) % 20 === 0;
}

/** A latest hash as recording leaves it: each vantage's latest and ring index, the ring's counters. */
async function seed(redis: Redis, keys: RedisKeys, round: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (let c = 0; c < CHECKS; c++) {
    const fields: string[] = ['~n', '349', '~w', '1'];
    for (const vantage of VANTAGES)
      fields.push(vantage, `1 200 ${round} 93 10.0.0.${c % 250}`, `${vantage}:i`, `348 ${round}`);
    pipeline.hset(keys.latest(`check-${c}`), ...fields, '~a', round);
  }
  await pipeline.exec();
}

/**
 * Round `k` as booked and then gathered by its deadline: completed rounds have `~a` raised, the
 * others their book; five pending entries of 200 rounds. Returns the claim call for them.
 */
async function book(redis: Redis, keys: RedisKeys, k: number, round: number): Promise<string[]> {
  const pipeline = redis.pipeline();
  const entries: string[] = [];
  const latest: string[] = [];
  for (let i = 0; i < CHECKS; i += ENTRY) {
    let entry = '';
    for (let c = i; c < Math.min(CHECKS, i + ENTRY); c++) {
      const id = `check-${c}`;
      entry += `|${id}|${round}`;
      latest.push(keys.latest(id));
      if (waiting(c, k))
        pipeline.hset(keys.latest(id), `~b${round}`, '\nalpha\t{"ok":true,"ms":93}\nbeta\t{"ok":true,"ms":88}');
      else pipeline.hset(keys.latest(id), '~a', round);
    }
    entries.push(entry);
    pipeline.zadd(keys.pendingRounds(0), round + INTERVAL_MS, entry);
  }
  await pipeline.exec();
  const counts = entries.map(() => String(ENTRY));
  const fields = latest.map(() => `~b${round}`);
  return [
    String(1 + latest.length),
    keys.pendingRounds(0),
    ...latest,
    '500',
    String(entries.length),
    ...entries,
    ...counts,
    ...fields,
  ];
}

/** Each latest hash and the pending set must match: the same stored values. */
async function sameKeys(redis: Redis, base: RedisKeys, next: RedisKeys): Promise<void> {
  for (let c = 0; c < CHECKS; c++) {
    const read = async (keys: RedisKeys) =>
      JSON.stringify(Object.entries(await redis.hgetall(keys.latest(`check-${c}`))).sort());
    if ((await read(base)) !== (await read(next))) throw new Error(`check-${c}: the two scripts left different hashes`);
  }
  const pending = async (keys: RedisKeys) =>
    JSON.stringify(await redis.zrange(keys.pendingRounds(0), 0, -1, 'WITHSCORES'));
  if ((await pending(base)) !== (await pending(next))) throw new Error('the two scripts left different pending sets');
}

async function main(commit: string, rounds: number): Promise<void> {
  await withScriptSides(scriptFolder(commit, SCRIPT), 'vigilClaimRounds', async (redis, sides) => {
    const first = Math.floor(Date.now() / INTERVAL_MS - rounds - 1) * INTERVAL_MS;
    for (const side of SIDES) await seed(redis, sides[side].keys, first - INTERVAL_MS);
    let examined = 0;
    for (let k = 0; k < rounds; k++) {
      const round = first + k * INTERVAL_MS;
      const replies: Partial<Record<Side, string>> = {};
      // Alternate which goes first, so neither always finds the caches warm.
      for (const side of k % 2 ? SIDES : ([...SIDES].reverse() as Side[])) {
        const [numberOfKeys, ...rest] = await book(redis, sides[side].keys, k, round);
        const reply = await measured(redis, sides[side].sum, () => sides[side].run(Number(numberOfKeys), ...rest));
        // An entry none of whose rounds was claimed: a list of zeros before, 0 since.
        replies[side] = JSON.stringify(
          (reply as unknown[]).map((entry) => (Array.isArray(entry) && entry.every((r) => r === 0) ? 0 : entry)),
        );
      }
      if (replies.base !== replies.new) throw new Error(`round ${round}: the two scripts replied differently`);
      examined += CHECKS;
    }
    await sameKeys(redis, sides.base.keys, sides.new.keys);
    printComparison(commit, { base: sides.base.sum, new: sides.new.sum }, examined, 'round');
  });
}

const commit = commitArgument('usage: tsx bench/claim-rounds-ab.ts COMMIT [rounds] (the claim script to compare with)');
await main(commit, Number(process.argv[3] ?? 100));
