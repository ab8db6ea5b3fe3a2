/**
 * The record script against the one before the ring, alternating batch by batch on one Redis of its
 * own, on the same results: `tsx bench/record-ab.ts OLD.lua`, OLD.lua from
 * `git show 4293a55:packages/core/src/results/lua/record-results.lua`. Prints each script's Redis time
 * (INFO commandstats) and redis-server CPU per result, and their ratio. 1,000 checks × 3 vantages ×
 * 30 rounds in batches of 200, 10% failing with a message, history 500.
 */
import { readFileSync } from 'node:fs';
import { type ProbeResult, ResultStore, redisKeys, utcDay } from '@vigil/core';
import type { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';
import { httpRoundResult } from './support/results.js';

const CHECKS = 1_000;
const ROUNDS = 30;
const BATCH = 200;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 60_000;

type Entry = { result: ProbeResult; intervalMs: number };

function roundResults(round: number): Entry[] {
  const out: Entry[] = [];
  for (let c = 0; c < CHECKS; c++) {
    const ok = c % 10 !== 0;
    for (const vantage of VANTAGES) {
      const result = httpRoundResult(`check-${c}`, vantage, round, ok);
      out.push({ result, intervalMs: INTERVAL_MS });
    }
  }
  return out;
}

/** The old script's packed list entry (its history-entry.ts), byte 1 left for the script. */
function encodeHistoryEntry(result: ProbeResult): Buffer {
  const text = Buffer.from([...(result.message ?? '')].slice(0, 120).join(''), 'utf8');
  const entry = Buffer.alloc(14 + text.length);
  // Results here fail with http_status only: its index in core's PROBE_ERRORS, + 1.
  const errorIndex = result.error === undefined ? 0 : 8;
  entry[0] = 0x80 | (result.ok ? 1 : 0) | (result.slow ? 2 : 0) | (errorIndex << 2);
  entry.writeUIntBE(result.round, 2, 6);
  const clamp = (value: number) => Math.min(0xffff, Math.max(0, Math.round(value)));
  entry.writeUInt16BE(clamp((result.finishedAt - result.round) / 10), 8);
  entry.writeUInt16BE(clamp(result.timings.total), 10);
  entry.writeUInt16BE(clamp(result.status ?? 0), 12);
  text.copy(entry, 14);
  return entry;
}

/** The old script's keys and arguments, as its ResultStore built them. */
function oldCall(prefix: string, batch: readonly Entry[]): (string | number | Buffer)[] {
  const keys: string[] = [];
  const args: (string | number | Buffer)[] = [500, 2 * 86_400];
  for (const { result, intervalMs } of batch) {
    const rememberMs = Math.max(intervalMs * 4, 60_000);
    const tag = `${prefix}:{${result.checkId}}`;
    keys.push(`${tag}:rounds`, `${tag}:latest`, `${tag}:history`, `${tag}:uptime:${utcDay(result.round)}`);
    args.push(`${result.vantage}:${result.round}`, result.round, result.round - rememberMs, JSON.stringify(result));
    args.push(encodeHistoryEntry(result), result.vantage, result.ok ? 1 : 0, rememberMs * 2);
  }
  return [keys.length, ...keys, ...args];
}

async function counters(redis: Redis): Promise<{ usec: number; cpu: number }> {
  const stats = await redis.info('commandstats');
  const cpu = await redis.info('cpu');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
  return {
    usec: Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? 0),
    cpu: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1e6,
  };
}

async function main(oldPath: string): Promise<void> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url);
  try {
    const redis = bench.redis as Redis & { oldRecord(...args: (string | number | Buffer)[]): Promise<unknown> };
    redis.defineCommand('oldRecord', { lua: readFileSync(oldPath, 'utf8') });
    const store = new ResultStore({ redis, keys: redisKeys(`${bench.prefix}:new`), historySize: 500 });
    const totals = { old: { usec: 0, cpu: 0 }, new: { usec: 0, cpu: 0 } };
    const first = Date.now() - ROUNDS * INTERVAL_MS;
    let results = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const round = roundResults(first + k * INTERVAL_MS);
      for (let i = 0; i < round.length; i += BATCH) {
        const batch = round.slice(i, i + BATCH);
        // Alternate which goes first, so neither always finds the caches warm.
        for (const which of (i / BATCH) % 2 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
          const before = await counters(redis);
          if (which === 'new') await store.recordMany(batch);
          else await redis.oldRecord(...oldCall(`${bench.prefix}:old`, batch));
          const after = await counters(redis);
          totals[which].usec += after.usec - before.usec;
          totals[which].cpu += after.cpu - before.cpu;
        }
        results += batch.length;
      }
    }
    for (const which of ['old', 'new'] as const) {
      const { usec, cpu } = totals[which];
      console.log(
        `${which}: script ${(usec / results).toFixed(2)} µs/result, redis-server CPU ${(cpu / results).toFixed(2)} µs/result`,
      );
    }
    console.log(
      `new ÷ old: script ${(totals.new.usec / totals.old.usec).toFixed(2)}, CPU ${(totals.new.cpu / totals.old.cpu).toFixed(2)}`,
    );
  } finally {
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

const oldPath = process.argv[2];
if (!oldPath) {
  console.error('usage: tsx bench/record-ab.ts OLD.lua (the record script to compare with)');
  process.exit(2);
}
await main(oldPath);
