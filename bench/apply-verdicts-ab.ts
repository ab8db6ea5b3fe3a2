/**
 * The notifier's round-application script (apply-verdicts.lua) of the working tree against the one
 * of a commit, alternating batch by batch on one redis-server of its own, on the same rounds: `tsx
 * bench/apply-verdicts-ab.ts COMMIT [rounds]`. 1,000 checks, rounds 60 s apart, each round's
 * verdicts in batches of 200 checks as the evaluator sends those a prober batch completed; a check
 * fails 3 rounds in 40 (down at its 2nd, up again after), 1 check in 5 is degraded a round in 40 and
 * alerts on degraded, so ~8% of rounds are not ok and ~5% change whether a check alerts. Prints each
 * script's Redis time a round (INFO commandstats: EVALSHA, nested commands included) and
 * redis-server CPU a round, and their ratio; fails unless both replied alike and stored the same.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineScripts, type RedisKeys, redisKeys, VERDICT_BUCKET_TTL_S } from '@vigil/core';
import type { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';

const CHECKS = 1_000;
const BATCH = 200;
const INTERVAL_MS = 60_000;
const CONFIRMATIONS = 2;
const SCRIPT = 'packages/notifier/src/evaluation/lua/apply-verdicts.lua';

type Side = 'base' | 'new';
type Command = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown>;
type Verdict = 'ok' | 'degraded' | 'fail';

/** Both scripts in a folder of their own, named so the loader calls them vigilApplyVerdictsBase / …New. */
function scriptFolder(commit: string): { url: URL; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'apply-ab-'));
  const base = execFileSync('git', ['show', `${commit}:${SCRIPT}`], { encoding: 'utf8' });
  writeFileSync(join(dir, 'apply-verdicts-base.lua'), base);
  writeFileSync(join(dir, 'apply-verdicts-new.lua'), readFileSync(SCRIPT, 'utf8'));
  return { url: pathToFileURL(`${dir}/`), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

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

interface Counters {
  cpu: number;
  /** Command → calls and µs (INFO commandstats): EVALSHA, and the commands run inside it. */
  commands: Map<string, { calls: number; usec: number }>;
}

/** redis-server CPU (µs) read nearest the call: `cpuLast` before it, first after it. */
async function counters(redis: Redis, cpuLast: boolean): Promise<Counters> {
  const cpuOf = async () => {
    const text = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const cpuFirst = cpuLast ? 0 : await cpuOf();
  const stats = await redis.info('commandstats');
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of stats.matchAll(/cmdstat_([a-z_|]+):calls=(\d+),usec=(\d+)/g))
    commands.set(name ?? '', { calls: Number(calls), usec: Number(usec) });
  return { cpu: cpuLast ? await cpuOf() : cpuFirst, commands };
}

/** `into` += after − before, command by command. */
function addDelta(into: Counters, before: Counters, after: Counters): void {
  into.cpu += after.cpu - before.cpu;
  for (const [name, value] of after.commands) {
    const was = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const sum = into.commands.get(name) ?? { calls: 0, usec: 0 };
    sum.calls += value.calls - was.calls;
    sum.usec += value.usec - was.usec;
    into.commands.set(name, sum);
  }
}

/** The replies of both sides must match (a state stayed in, `s`, is `[s, s, '']` replied before). */
function sameReplies(base: unknown, next: unknown, round: number): void {
  const normal = (reply: unknown) =>
    JSON.stringify(
      (reply as unknown[]).map((applied) => (typeof applied === 'string' ? [applied, applied, ''] : applied)),
    );
  if (normal(base) !== normal(next)) throw new Error(`round ${round}: the two scripts replied differently`);
}

/** Each check's state hash and verdict rings must match too: the same stored values, byte for byte. */
async function sameKeys(redis: Redis, base: RedisKeys, next: RedisKeys): Promise<void> {
  const read = async (keys: RedisKeys, id: string) =>
    JSON.stringify([
      Object.entries(await redis.hgetall(keys.checkState(id))).sort(),
      (await redis.getBuffer(keys.verdictDayRing(id)))?.toString('hex'),
      (await redis.getBuffer(keys.verdictHourRing(id)))?.toString('hex'),
    ]);
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
  const server = await startRedisServer();
  const bench = await benchRedis(server.url);
  const folder = scriptFolder(commit);
  try {
    const scripts = defineScripts<{ vigilApplyVerdictsBase: Command; vigilApplyVerdictsNew: Command }>(
      bench.redis,
      folder.url,
    );
    const sides: Record<Side, { keys: RedisKeys; run: Command; sum: Counters }> = {
      base: {
        keys: redisKeys(`${bench.prefix}:base`),
        run: scripts.vigilApplyVerdictsBase.bind(scripts),
        sum: { cpu: 0, commands: new Map() },
      },
      new: {
        keys: redisKeys(`${bench.prefix}:new`),
        run: scripts.vigilApplyVerdictsNew.bind(scripts),
        sum: { cpu: 0, commands: new Map() },
      },
    };
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
        for (const side of turn++ % 2 ? (['base', 'new'] as const) : (['new', 'base'] as const)) {
          const [numberOfKeys, ...rest] = applyCall(sides[side].keys, round, checks, round + 30_000);
          const before = await counters(bench.redis, true);
          replies[side] = await sides[side].run(numberOfKeys as number, ...rest);
          addDelta(sides[side].sum, before, await counters(bench.redis, false));
        }
        sameReplies(replies.base, replies.new, round);
        applied += checks.length;
      }
    }
    await sameKeys(bench.redis, sides.base.keys, sides.new.keys);
    const usec = (side: Side) => sides[side].sum.commands.get('evalsha')?.usec ?? 0;
    for (const side of ['base', 'new'] as const) {
      const { cpu, commands } = sides[side].sum;
      const nested = [...commands]
        .filter(([name, value]) => name !== 'evalsha' && name !== 'info' && value.calls > 0)
        .sort((a, b) => b[1].usec - a[1].usec)
        .map(
          ([name, value]) => `${name} ${(value.calls / applied).toFixed(2)}×/${(value.usec / applied).toFixed(2)} µs`,
        );
      console.log(
        `${side === 'base' ? commit : 'working tree'}: script ${(usec(side) / applied).toFixed(2)} µs/round, redis-server CPU ${(cpu / applied).toFixed(2)} µs/round; nested a round: ${nested.join(', ')}`,
      );
    }
    console.log(
      `new ÷ base: script ${(usec('new') / usec('base')).toFixed(3)}, CPU ${(sides.new.sum.cpu / sides.base.sum.cpu).toFixed(3)} (${applied} rounds each)`,
    );
  } finally {
    folder.remove();
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

const commit = process.argv[2];
if (!commit) {
  console.error('usage: tsx bench/apply-verdicts-ab.ts COMMIT [rounds] (the apply script to compare with)');
  process.exit(2);
}
await main(commit, Number(process.argv[3] ?? 120));
