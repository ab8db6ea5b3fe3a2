/**
 * The notifier's round-application script (apply-verdicts.lua) of the working tree against the one
 * of a commit, alternating batch by batch on one redis-server of its own, on the same rounds: `tsx
 * bench/apply-verdicts-ab.ts COMMIT [rounds]`. 1,000 checks, rounds 60 s apart, each round's
 * verdicts in batches of 200 checks as the evaluator sends those a prober batch completed; a check
 * fails 3 rounds in 40 (down at its 2nd, up again after), 1 check in 5 is degraded a round in 40 and
 * alerts on degraded, so ~8% of rounds are not ok and ~5% change whether a check alerts. Prints each
 * script's Redis time a round (INFO commandstats: EVALSHA, nested commands included) and
 * redis-server CPU a round, and their ratio; fails unless both replied alike and stored the same
 * state and uptime.
 */
import { HOUR_COUNTS_FIELD, type RedisKeys, readUptime, readUptimeDays, VERDICT_BUCKET_TTL_S } from '@vigil/core';
import { withStreakRounds } from '@vigil/notifier';
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
const BATCH = 200;
const INTERVAL_MS = 60_000;
const CONFIRMATIONS = 2;
const SCRIPT = 'packages/notifier/src/evaluation/lua/apply-verdicts.lua';

type Verdict = 'ok' | 'degraded' | 'fail';

/** Check `c`'s verdict in round `k`: 3 failing rounds in 40, a degraded one in 40 for 1 check in 5. */
function verdictOf(c: number, k: number): Verdict {
  const phase = (k + c * 13) % 40;
  if (phase < 3) return 'fail';
  if (phase === 20 && c % 5 === 0) return 'degraded';
  return 'ok';
}

/** The call CheckStates.queueApplyMany makes for one shard's rounds (one Redis: one shard). */
function applyCall(keys: RedisKeys, round: number, checks: readonly number[], now: number): (string | number)[] {
  const callKeys: string[] = [keys.transitions(0)];
  const args: (string | number)[] = [now, VERDICT_BUCKET_TTL_S.day, VERDICT_BUCKET_TTL_S.hour];
  for (const c of checks) {
    const id = `check-${c}`;
    const verdict = verdictOf(c, round / INTERVAL_MS);
    callKeys.push(keys.checkState(id), keys.verdictDayRing(id), keys.verdictHourRing(id));
    const detail =
      verdict === 'ok'
        ? { failing: [], counted: 3 }
        : { failing: ['alpha', 'beta', 'gamma'], counted: 3, error: 'timeout', message: 'no response in 10000 ms' };
    args.push(round, verdict, CONFIRMATIONS, id, JSON.stringify(detail), c % 5 === 0 ? 'degraded' : 'down');
  }
  return [callKeys.length, ...callKeys, ...args];
}

/** The replies of both sides must match (a state stayed in, `s`, is `[s, s, '']` replied before). */
function sameReplies(base: unknown, next: unknown, round: number): void {
  const normal = (reply: unknown) =>
    JSON.stringify(
      (reply as unknown[]).map((applied) => (typeof applied === 'string' ? [applied, applied, ''] : applied)),
    );
  if (normal(base) !== normal(next)) throw new Error(`round ${round}: the two scripts replied differently`);
}

/**
 * Each check's state hash and verdict rings must match too: the same state as its readers see it
 * (`withStreakRounds`: a script may leave the last round of a running streak unwritten), and the same
 * uptime read from the rings (and, from a script that keeps its latest hour there, the state's
 * counts), at `now` and an hour on. The rings' bytes differ between a script that counts every round
 * in them and one that puts an hour in when the next begins, and equal when both do the same.
 */
async function sameKeys(redis: Redis, base: RedisKeys, next: RedisKeys, now: number): Promise<void> {
  const read = async (keys: RedisKeys, id: string) => {
    const { [HOUR_COUNTS_FIELD]: _, ...state } = withStreakRounds(await redis.hgetall(keys.checkState(id)));
    const ctx = { redis, keys };
    return JSON.stringify([
      Object.entries(state).sort(),
      await readUptime(ctx, id, now),
      await readUptime(ctx, id, now + 3_600_000),
      await readUptimeDays(ctx, id, 90, now),
    ]);
  };
  for (let c = 0; c < CHECKS; c++) {
    if ((await read(base, `check-${c}`)) !== (await read(next, `check-${c}`)))
      throw new Error(`check-${c}: the two scripts stored different values`);
  }
  const outbox = async (keys: RedisKeys) =>
    JSON.stringify(
      Object.entries(await redis.hgetall(keys.transitions(0)))
        .map(([id, json]) => [id, JSON.parse(json)])
        .sort(),
    );
  if ((await outbox(base)) !== (await outbox(next))) throw new Error('the two scripts left different transitions');
}

async function main(commit: string, rounds: number): Promise<void> {
  await withScriptSides(scriptFolder(commit, SCRIPT), 'vigilApplyVerdicts', async (redis, sides) => {
    // Whole minutes, 40 minutes into an hour: the hour rings change hour within the run.
    const first = (Math.floor(Date.now() / 3_600_000) - Math.ceil(rounds / 60) - 1) * 3_600_000 + 40 * INTERVAL_MS;
    let applied = 0;
    let turn = 0;
    for (let k = 0; k < rounds; k++) {
      const round = first + k * INTERVAL_MS;
      for (let i = 0; i < CHECKS; i += BATCH) {
        const checks = Array.from({ length: Math.min(BATCH, CHECKS - i) }, (_, j) => i + j);
        const replies: Partial<Record<Side, unknown>> = {};
        // Alternate which goes first, so neither always finds the caches warm.
        for (const side of turn++ % 2 ? SIDES : ([...SIDES].reverse() as Side[])) {
          const [numberOfKeys, ...rest] = applyCall(sides[side].keys, round, checks, round + 30_000);
          replies[side] = await measured(redis, sides[side].sum, () =>
            sides[side].run(numberOfKeys as number, ...rest),
          );
        }
        sameReplies(replies.base, replies.new, round);
        applied += checks.length;
      }
    }
    await sameKeys(redis, sides.base.keys, sides.new.keys, first + rounds * INTERVAL_MS);
    printComparison(commit, { base: sides.base.sum, new: sides.new.sum }, applied, 'round');
  });
}

const commit = commitArgument(
  'usage: tsx bench/apply-verdicts-ab.ts COMMIT [rounds] (the apply script to compare with)',
);
await main(commit, Number(process.argv[3] ?? 120));
