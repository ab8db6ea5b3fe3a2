/**
 * What the script A/B benches (apply-verdicts-ab.ts, claim-rounds-ab.ts, record-results-ab.ts) share:
 * a commit's script and the working tree's under two names on one connection, and Redis's own
 * counters read around each call (INFO commandstats and CPU), so the two are compared on the same
 * inputs in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineScripts, type RedisKeys, redisKeys } from '@vigil/core';
import type { Redis } from 'ioredis';
import { startRedisServer } from '../rounds.js';
import { benchRedis } from './redis.js';

export type Side = 'base' | 'new';
export const SIDES = ['base', 'new'] as const;

/**
 * A folder holding `script` (a path in the repository) as of `commit` and of the working tree,
 * named `<name>-base.lua` and `<name>-new.lua`: the loader calls them vigil<Name>Base / vigil<Name>New.
 */
export function scriptFolder(commit: string, script: string): { url: URL; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'script-ab-'));
  const name = script.slice(script.lastIndexOf('/') + 1, -'.lua'.length);
  writeFileSync(
    join(dir, `${name}-base.lua`),
    execFileSync('git', ['show', `${commit}:${script}`], { encoding: 'utf8' }),
  );
  writeFileSync(join(dir, `${name}-new.lua`), readFileSync(script, 'utf8'));
  return { url: pathToFileURL(`${dir}/`), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Command = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown>;

/** One side of a run: its keys (a prefix of its own), its script, and what Redis counted for it. */
export interface ScriptSide {
  keys: RedisKeys;
  run: Command;
  sum: Counters;
}

/**
 * Runs `body` on a redis-server of its own, with `folder`'s two scripts defined on one connection
 * (`<command>Base`, `<command>New`) and each side's keys under a prefix of its own; then removes the
 * folder, the keys and the server, whatever `body` did.
 */
export async function withScriptSides(
  folder: { url: URL; remove(): void },
  command: string,
  body: (redis: Redis, sides: Record<Side, ScriptSide>) => Promise<void>,
): Promise<void> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url);
  try {
    const scripts = defineScripts<Record<string, Command>>(bench.redis, folder.url);
    const side = (name: Side): ScriptSide => {
      const script = scripts[`${command}${name === 'base' ? 'Base' : 'New'}`];
      if (!script) throw new Error(`${command}: no ${name} script in ${folder.url.href}`);
      return { keys: redisKeys(`${bench.prefix}:${name}`), run: script.bind(scripts), sum: noCounters() };
    };
    await body(bench.redis, { base: side('base'), new: side('new') });
  } finally {
    folder.remove();
    await bench.cleanup();
    server.process.kill('SIGTERM');
  }
}

/** The commit to compare with, from the command line; exits with `usage` without one. */
export function commitArgument(usage: string): string {
  const commit = process.argv[2];
  if (!commit) {
    console.error(usage);
    process.exit(2);
  }
  return commit;
}

export interface Counters {
  cpu: number;
  /** Command → calls and µs (INFO commandstats): EVALSHA, and the commands run inside it. */
  commands: Map<string, { calls: number; usec: number }>;
}

export function noCounters(): Counters {
  return { cpu: 0, commands: new Map() };
}

/** redis-server CPU (µs) read nearest the call: `cpuLast` before it, first after it. */
export async function counters(redis: Redis, cpuLast: boolean): Promise<Counters> {
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

/** Runs `call`, adding what Redis counted meanwhile to `into`; returns its reply. */
export async function measured<T>(redis: Redis, into: Counters, call: () => Promise<T>): Promise<T> {
  const before = await counters(redis, true);
  const reply = await call();
  const after = await counters(redis, false);
  into.cpu += after.cpu - before.cpu;
  for (const [name, value] of after.commands) {
    const was = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const sum = into.commands.get(name) ?? { calls: 0, usec: 0 };
    sum.calls += value.calls - was.calls;
    sum.usec += value.usec - was.usec;
    into.commands.set(name, sum);
  }
  return reply;
}

/** Each side's script time and CPU per `unit` (`items` of them), its nested commands, and new ÷ base. */
export function printComparison(commit: string, sums: Record<Side, Counters>, items: number, unit: string): void {
  const usec = (side: Side) => sums[side].commands.get('evalsha')?.usec ?? 0;
  for (const side of SIDES) {
    const { cpu, commands } = sums[side];
    const nested = [...commands]
      .filter(([name, value]) => name !== 'evalsha' && name !== 'info' && value.calls > 0)
      .sort((a, b) => b[1].usec - a[1].usec)
      .map(([name, value]) => `${name} ${(value.calls / items).toFixed(2)}×/${(value.usec / items).toFixed(2)} µs`);
    console.log(
      `${side === 'base' ? commit : 'working tree'}: script ${(usec(side) / items).toFixed(2)} µs/${unit}, redis-server CPU ${(cpu / items).toFixed(2)} µs/${unit}; nested a ${unit}: ${nested.join(', ')}`,
    );
  }
  console.log(
    `new ÷ base: script ${(usec('new') / usec('base')).toFixed(3)}, CPU ${(sums.new.cpu / sums.base.cpu).toFixed(3)} (${items} ${unit}s each)`,
  );
}
