/**
 * The notifier's Redis work for a batch of results, today's scripts against those of an older
 * commit, alternating batch by batch on one Redis of its own, on the same results: `tsx
 * bench/round-ab.ts COMMIT` (c8507b7: before round books moved into the latest hash). Old: record
 * (record-results.lua), then book (add-round-outcomes.lua, a hash a round), then apply the rounds
 * completed (apply-verdicts.lua); new: record and book in one script, then apply. Prints redis-server
 * CPU (INFO) and Redis calls (commandstats) per result for each, and their ratio. 1,000 checks × 3
 * vantages × 30 rounds, each vantage's results in batches of 200 as a prober sends them, 10% failing.
 */
import { execFileSync } from 'node:child_process';
import { type ProbeResult, type RedisKeys, ResultStore, redisKeys, VERDICT_BUCKET_TTL_S } from '@vigil/core';
import { CheckStates } from '@vigil/notifier';
import type { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';
import { httpRoundResult } from './support/results.js';

const CHECKS = 1_000;
const ROUNDS = 30;
const BATCH = 200;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 60_000;
const DEADLINE_MS = 12_000;

type OldCommand = (...args: (string | number | Buffer)[]) => Promise<unknown>;
type OldRedis = Redis & { oldRecord: OldCommand; oldBook: OldCommand; oldApply: OldCommand };

const outcomeOf = (result: ProbeResult) =>
  JSON.stringify(result.ok ? { ok: true } : { ok: false, error: result.error, message: result.message });
const verdictInput = (result: ProbeResult, now: number) => ({
  checkId: result.checkId,
  round: result.round,
  verdict: result.ok ? ('ok' as const) : ('fail' as const),
  confirmations: 2,
  alertOn: 'down' as const,
  detail: { failing: result.ok ? [] : VANTAGES, counted: 3 },
  now,
});

/** The old scripts' calls for one batch, as their stores built them. */
async function oldBatch(redis: OldRedis, keys: RedisKeys, batch: readonly ProbeResult[], now: number): Promise<void> {
  const recordKeys: string[] = [];
  const recordArgs: (string | number | Buffer)[] = [500];
  const bookKeys: string[] = [keys.pendingRounds(0)];
  const bookArgs: (string | number)[] = [];
  for (const result of batch) {
    const { checkId, vantage, ...latest } = result;
    recordKeys.push(keys.latest(checkId), keys.historyRing(checkId), keys.history(checkId));
    // A ring entry's outcome bytes (their content does not change the cost) and its message.
    recordArgs.push(
      vantage,
      result.round,
      240_000,
      JSON.stringify(latest),
      Buffer.from([result.ok ? 0x80 : 0, 0, 0, 0, 1]),
    );
    recordArgs.push(result.message ?? '', 75);
    bookKeys.push(keys.round(checkId, result.round), keys.checkState(checkId));
    bookArgs.push(vantage, outcomeOf(result), result.round, result.round + DEADLINE_MS, 3, 240_000);
    bookArgs.push(`${checkId}|${result.round}`);
  }
  await redis.oldRecord(recordKeys.length, ...recordKeys, ...recordArgs);
  const added = (await redis.oldBook(bookKeys.length, ...bookKeys, ...bookArgs)) as unknown[];
  const applyKeys: string[] = [keys.transitions(0)];
  const applyArgs: (string | number)[] = [now, VERDICT_BUCKET_TTL_S.day, VERDICT_BUCKET_TTL_S.hour];
  batch.forEach((result, i) => {
    if (!Array.isArray(added[i])) return;
    const input = verdictInput(result, now);
    applyKeys.push(
      keys.checkState(input.checkId),
      keys.verdictDays(input.checkId),
      keys.verdictHours(input.checkId),
      keys.round(input.checkId, input.round),
    );
    applyArgs.push(input.round, input.verdict, 2, input.checkId, JSON.stringify(input.detail), 'down');
  });
  if (applyKeys.length > 1) await redis.oldApply(applyKeys.length, ...applyKeys, ...applyArgs);
}

/** Today's calls for one batch: record and book in one script, then apply what completed. */
async function newBatch(store: ResultStore, states: CheckStates, batch: readonly ProbeResult[], now: number) {
  const replies = await store.recordAndBook(
    batch.map((result) => ({
      result,
      intervalMs: INTERVAL_MS,
      booking: { outcome: outcomeOf(result), deadline: result.round + DEADLINE_MS, expected: 3 },
    })),
  );
  const completed = batch.filter((_, i) => typeof replies[i]?.booked === 'object');
  if (completed.length === 0) return;
  const pipeline = states.pipeline();
  states.queueApplyMany(
    pipeline,
    completed.map((result) => verdictInput(result, now)),
    now,
  );
  await pipeline.exec();
}

async function counters(redis: Redis): Promise<{ calls: number; cpu: number }> {
  const stats = await redis.info('commandstats');
  const cpu = await redis.info('cpu');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
  let calls = 0;
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (match[1] !== 'info' && match[1] !== 'evalsha') calls += Number(match[2]);
  return { calls, cpu: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1e6 };
}

function oldScript(commit: string, path: string): string {
  return execFileSync('git', ['show', `${commit}:${path}`], { encoding: 'utf8' });
}

async function main(commit: string): Promise<void> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url);
  try {
    const redis = bench.redis as OldRedis;
    redis.defineCommand('oldRecord', { lua: oldScript(commit, 'packages/core/src/results/lua/record-results.lua') });
    redis.defineCommand('oldBook', {
      lua: oldScript(commit, 'packages/notifier/src/evaluation/lua/add-round-outcomes.lua'),
    });
    redis.defineCommand('oldApply', {
      lua: oldScript(commit, 'packages/notifier/src/evaluation/lua/apply-verdicts.lua'),
    });
    const oldKeys = redisKeys(`${bench.prefix}:old`);
    const newKeys = redisKeys(`${bench.prefix}:new`);
    const store = new ResultStore({ redis, keys: newKeys, historySize: 500 });
    const states = new CheckStates({ redis, keys: newKeys });
    const totals = { old: { calls: 0, cpu: 0 }, new: { calls: 0, cpu: 0 } };
    const first = Date.now() - ROUNDS * INTERVAL_MS;
    let results = 0;
    let turn = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const round = first + k * INTERVAL_MS;
      const now = round + 1_000;
      for (const vantage of VANTAGES) {
        for (let c = 0; c < CHECKS; c += BATCH) {
          const batch = Array.from({ length: Math.min(BATCH, CHECKS - c) }, (_, i) =>
            httpRoundResult(`check-${c + i}`, vantage, round, (c + i) % 10 !== 0),
          );
          // Alternate which goes first, so neither always finds the caches warm.
          for (const which of turn++ % 2 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
            const before = await counters(redis);
            if (which === 'new') await newBatch(store, states, batch, now);
            else await oldBatch(redis, oldKeys, batch, now);
            const after = await counters(redis);
            totals[which].calls += after.calls - before.calls;
            totals[which].cpu += after.cpu - before.cpu;
          }
          results += batch.length;
        }
      }
    }
    for (const which of ['old', 'new'] as const) {
      const { calls, cpu } = totals[which];
      console.log(
        `${which}: redis-server CPU ${(cpu / results).toFixed(2)} µs/result, ${(calls / results).toFixed(2)} Redis calls/result`,
      );
    }
    console.log(`new ÷ old: CPU ${(totals.new.cpu / totals.old.cpu).toFixed(2)}`);
  } finally {
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

const commit = process.argv[2];
if (!commit) {
  console.error('usage: tsx bench/round-ab.ts COMMIT (the commit whose scripts to compare with, e.g. c8507b7)');
  process.exit(2);
}
await main(commit);
