/**
 * The notifier's round path in Redis, a commit's scripts against today's, alternating batch by batch
 * on one redis-server of its own, on the same results: `tsx bench/round-path-ab.ts COMMIT`. Each
 * batch (200 results of one vantage) is recorded and booked (record-results.lua), and the rounds it
 * completed applied (apply-verdicts.lua); after each round's three vantages, the rounds past their
 * deadline are swept (the claim script) and applied. 1,000 checks × 3 vantages × 80 rounds, 10%
 * failing, 5% without gamma (decided at their deadline). Prints redis-server CPU (INFO) and Redis
 * command time (commandstats, INFO excluded) per probe for each, and their ratio.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createLogger,
  loadScripts,
  type ProbeResult,
  type Redis,
  type RedisKeys,
  ResultStore,
  redisKeys,
  VERDICT_BUCKET_TTL_S,
} from '@vigil/core';
import { CheckStates, parseBook, RoundBook } from '@vigil/notifier';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';
import { httpRoundResult } from './support/results.js';

const CHECKS = 1_000;
const ROUNDS = 80;
const BATCH = 200;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 30_000;
const DEADLINE_MS = 12_000;

interface Side {
  keys: RedisKeys;
  redis: Redis;
  store: ResultStore;
  /** Applies verdicts as the side's notifier does (its script, its keys). */
  apply(inputs: ReturnType<typeof verdictInput>[], now: number): Promise<void>;
  /** Claims the rounds due, with their outcomes, as the side's notifier does. */
  claim(now: number): Promise<{ checkId: string; round: number; failing: number }[]>;
}

const outcomeOf = (result: ProbeResult) =>
  JSON.stringify(result.ok ? { ok: true } : { ok: false, error: result.error, message: result.message });

interface Decided {
  checkId: string;
  round: number;
  failing: number;
  counted: number;
}

function verdictInput({ checkId, round, failing, counted }: Decided, now: number) {
  const fail = failing * 2 > counted;
  return {
    checkId,
    round,
    verdict: fail ? ('fail' as const) : failing > 0 ? ('degraded' as const) : ('ok' as const),
    confirmations: 2,
    alertOn: 'down' as const,
    detail: { failing: VANTAGES.slice(0, failing), counted },
    now,
  };
}

async function apply(side: Side, inputs: ReturnType<typeof verdictInput>[], now: number): Promise<void> {
  if (inputs.length === 0) return;
  inputs.sort((a, b) => a.round - b.round);
  await side.apply(inputs, now);
}

/** Today's apply: CheckStates, as the evaluator queues it. */
function applyWith(states: CheckStates): Side['apply'] {
  return async (inputs, now) => {
    const pipeline = states.pipeline();
    states.queueApplyMany(pipeline, inputs, now);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  };
}

async function batchOf(side: Side, batch: readonly ProbeResult[], now: number): Promise<void> {
  const replies = await side.store.recordAndBook(
    batch.map((result) => ({
      result,
      intervalMs: INTERVAL_MS,
      booking: {
        outcome: outcomeOf(result),
        deadline: result.round + DEADLINE_MS,
        expected: result.checkId.endsWith('-gap') ? 2 : 3,
      },
    })),
  );
  const inputs: ReturnType<typeof verdictInput>[] = [];
  batch.forEach((result, i) => {
    const booked = replies[i]?.booked;
    if (typeof booked !== 'object') return;
    const outcomes = [...parseBook(booked.book).values()];
    const failing = outcomes.filter((o) => !o.ok).length;
    inputs.push(verdictInput({ checkId: result.checkId, round: result.round, failing, counted: outcomes.length }, now));
  });
  await apply(side, inputs, now);
}

async function sweep(side: Side, now: number): Promise<void> {
  const claimed = await side.claim(now);
  await apply(
    side,
    claimed.map((c) => verdictInput({ ...c, counted: 2 }, now)),
    now,
  );
}

interface Counters {
  cpu: number;
  /** By command (scripts' own commands too, inside `evalsha`'s time): calls and µs. */
  commands: Map<string, { calls: number; usec: number }>;
}

async function counters(redis: Redis): Promise<Counters> {
  const stats = await redis.info('commandstats');
  const cpu = await redis.info('cpu');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    if (match[1] !== 'info') commands.set(match[1] ?? '', { calls: Number(match[2]), usec: Number(match[3]) });
  return { commands, cpu: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1e6 };
}

function addDelta(total: Counters, before: Counters, after: Counters): void {
  total.cpu += after.cpu - before.cpu;
  for (const [name, a] of after.commands) {
    const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const t = total.commands.get(name) ?? { calls: 0, usec: 0 };
    total.commands.set(name, { calls: t.calls + a.calls - b.calls, usec: t.usec + a.usec - b.usec });
  }
}

/** The commit's `lua/` folders, extracted, loaded as the loader loads them (includes inlined). */
function oldScripts(commit: string): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'round-path-ab-'));
  const folders = ['packages/core/src/results/lua', 'packages/notifier/src/evaluation/lua'];
  execFileSync('sh', ['-c', `git archive ${commit} ${folders.join(' ')} | tar -x -C ${dir}`], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const scripts = new Map<string, string>();
  for (const folder of folders)
    for (const script of loadScripts(pathToFileURL(`${join(dir, folder)}/`))) scripts.set(script.name, script.lua);
  rmSync(dir, { recursive: true });
  return scripts;
}

function oldSide(redis: Redis, keys: RedisKeys, commit: string): Side {
  const store = new ResultStore({ redis, keys, historySize: 350 });
  const scripts = oldScripts(commit);
  const lua = (name: string) => {
    const text = scripts.get(name);
    if (!text) throw new Error(`${commit} has no ${name}`);
    return text;
  };
  // Today's stores, with the commit's scripts under their names (the arguments did not change).
  redis.defineCommand('vigilRecordResults', { lua: lua('vigilRecordResults') });
  redis.defineCommand('oldApplyVerdicts', { lua: lua('vigilApplyVerdicts') });
  const oldApply = (redis as Redis & { oldApplyVerdicts(...args: (string | number)[]): Promise<unknown> })
    .oldApplyVerdicts;
  redis.defineCommand('oldClaimRound', { numberOfKeys: 2, lua: lua('vigilClaimRound') });
  return {
    keys,
    redis,
    store,
    // The commit's apply: four keys a round (its latest hash too), as its CheckStates passed them.
    async apply(inputs, now) {
      const applyKeys: string[] = [keys.transitions(0)];
      const args: (string | number)[] = [now, VERDICT_BUCKET_TTL_S.day, VERDICT_BUCKET_TTL_S.hour];
      for (const input of inputs) {
        const { checkId } = input;
        applyKeys.push(keys.checkState(checkId), keys.verdictDayRing(checkId), keys.verdictHourRing(checkId));
        applyKeys.push(keys.latest(checkId));
        args.push(input.round, input.verdict, 2, checkId, JSON.stringify(input.detail), 'down');
      }
      await oldApply.call(redis, applyKeys.length, ...applyKeys, ...args);
    },
    async claim(now) {
      const due = await redis.zrangebyscore(keys.pendingRounds(0), '-inf', now, 'LIMIT', 0, 500);
      const pipeline = redis.pipeline() as unknown as {
        oldClaimRound: (...a: string[]) => void;
        exec(): Promise<[Error | null, unknown][]>;
      };
      const refs = due.map((member) => {
        const [checkId = '', round = '0'] = member.split('|');
        pipeline.oldClaimRound(keys.pendingRounds(0), keys.latest(checkId), member, `~b${round}`);
        return { checkId, round: Number(round) };
      });
      const replies = await pipeline.exec();
      return refs.flatMap((ref, i) => {
        const book = replies[i]?.[1];
        if (typeof book !== 'string') return [];
        return [{ ...ref, failing: [...parseBook(book).values()].filter((o) => !o.ok).length }];
      });
    },
  };
}

function newSide(redis: Redis, keys: RedisKeys): Side {
  const book = new RoundBook({ redis, keys, log: createLogger({ level: 'silent' }) });
  return {
    keys,
    redis,
    store: new ResultStore({ redis, keys, historySize: 350 }),
    apply: applyWith(new CheckStates({ redis, keys })),
    async claim(now) {
      return (await book.claimDue(now)).map((c) => ({
        checkId: c.checkId,
        round: c.round,
        failing: [...c.outcomes.values()].filter((o) => !o.ok).length,
      }));
    },
  };
}

async function main(commit: string): Promise<void> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url);
  try {
    const sides = {
      old: oldSide(bench.connection('old'), redisKeys(`${bench.prefix}:old`), commit),
      new: newSide(bench.connection('new'), redisKeys(`${bench.prefix}:new`)),
    };
    const totals: Record<'old' | 'new', Counters> = {
      old: { cpu: 0, commands: new Map() },
      new: { cpu: 0, commands: new Map() },
    };
    const first = Date.now() - ROUNDS * INTERVAL_MS;
    const ids = Array.from({ length: CHECKS }, (_, c) => (c % 20 === 7 ? `check-${c}-gap` : `check-${c}`));
    let results = 0;
    let turn = 0;
    const measure = async (work: (side: Side) => Promise<void>) => {
      for (const which of turn++ % 2 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
        const before = await counters(bench.redis);
        await work(sides[which]);
        const after = await counters(bench.redis);
        addDelta(totals[which], before, after);
      }
    };
    // A whole round a measurement (3,000 probes, tens of ms): redis-server's CPU time moves in ticks.
    for (let k = 0; k < ROUNDS; k++) {
      const round = first + k * INTERVAL_MS;
      const batches: ProbeResult[][] = [];
      for (const vantage of VANTAGES) {
        for (let c = 0; c < CHECKS; c += BATCH) {
          const batch = ids
            .slice(c, c + BATCH)
            .filter((id) => vantage !== 'gamma' || !id.endsWith('-gap'))
            .map((id, i) => httpRoundResult(id, vantage, round, (c + i) % 10 !== 3));
          batches.push(batch);
          results += batch.length;
        }
      }
      await measure(async (side) => {
        for (const batch of batches) await batchOf(side, batch, round + 1_000);
        await sweep(side, round + DEADLINE_MS);
      });
    }
    const script = (which: 'old' | 'new') => totals[which].commands.get('evalsha')?.usec ?? 0;
    console.log(
      `${results} probes (${CHECKS} checks × 3 vantages × ${ROUNDS} rounds, 5% without gamma), old = ${commit}`,
    );
    console.log('                      old µs/probe  new µs/probe  new ÷ old');
    const line = (name: string, old: number, now: number) =>
      console.log(
        `${name.padEnd(22)}${(old / results).toFixed(2).padStart(13)}${(now / results).toFixed(2).padStart(14)}${(now / old).toFixed(3).padStart(11)}`,
      );
    line('redis-server CPU', totals.old.cpu, totals.new.cpu);
    line('scripts (evalsha)', script('old'), script('new'));
    console.log('\nby command (in scripts too): calls and µs per probe, old → new');
    const names = new Set([...totals.old.commands.keys(), ...totals.new.commands.keys()]);
    for (const name of [...names].sort()) {
      const o = totals.old.commands.get(name) ?? { calls: 0, usec: 0 };
      const n = totals.new.commands.get(name) ?? { calls: 0, usec: 0 };
      console.log(
        `${name.padEnd(22)}${(o.calls / results).toFixed(3).padStart(8)} → ${(n.calls / results).toFixed(3).padEnd(8)}${(o.usec / results).toFixed(2).padStart(8)} → ${(n.usec / results).toFixed(2)}`,
      );
    }
  } finally {
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

const commit = process.argv[2];
if (!commit) {
  console.error('usage: tsx bench/round-path-ab.ts COMMIT (the commit whose scripts to compare with, e.g. main)');
  process.exit(2);
}
await main(commit);
