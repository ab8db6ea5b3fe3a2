/**
 * Redis CPU by command and by script, beside a running bench: `tsx bench/redis-profile.ts URL
 * SECONDS [SLOWLOG_SECONDS]`. INFO commandstats deltas over SECONDS (cheap, every command), then
 * SLOWLOG at threshold 0 for SLOWLOG_SECONDS to split EVALSHA by script (named by SHA-1 of Vigil's
 * `.lua` files and of BullMQ's scripts). Prints µs and calls per second, to divide by probes/s.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { loadScripts } from '@vigil/core';
import { Redis } from 'ioredis';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

async function scriptNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const root = new URL('../packages/', import.meta.url);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist'
        ? e.name === 'lua'
          ? [join(dir, e.name)]
          : walk(join(dir, e.name))
        : [],
    );
  for (const folder of walk(root.pathname))
    for (const script of loadScripts(pathToFileURL(`${folder}/`))) names.set(sha1(script.lua), script.name);
  const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
  const bullmq = join(dirname(require.resolve('bullmq')), '..', 'esm', 'scripts');
  for (const file of readdirSync(bullmq).filter((f) => f.endsWith('.js') && f !== 'index.js')) {
    const mod = (await import(pathToFileURL(join(bullmq, file)).href)) as Record<
      string,
      { content?: string; name?: string }
    >;
    for (const value of Object.values(mod)) if (value?.content) names.set(sha1(value.content), `bullmq:${value.name}`);
  }
  return names;
}

function commandstats(info: string): Map<string, { calls: number; usec: number }> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    out.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

async function main(): Promise<void> {
  const [url = 'redis://127.0.0.1:6379', secondsArg = '20', slowArg = '5'] = process.argv.slice(2);
  const redis = new Redis(url);
  const names = await scriptNames();
  const cpu = async () => {
    const info = await redis.info('cpu');
    const f = (n: string) => Number(new RegExp(`${n}:([0-9.]+)`).exec(info)?.[1]);
    return (f('used_cpu_user') + f('used_cpu_sys')) * 1e6;
  };
  // Reads from client sockets: about a round trip each. One that wakes an idle Redis costs it more
  // than most commands (~70 µs of CPU on the 2-core bench machine: docs/deploy.md, fixed costs).
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  const before = commandstats(await redis.info('commandstats'));
  const cpuBefore = await cpu();
  const readsBefore = await reads();
  const seconds = Number(secondsArg);
  await sleep(seconds * 1000);
  const after = commandstats(await redis.info('commandstats'));
  const cpuUs = (await cpu()) - cpuBefore;
  const readsPerS = ((await reads()) - readsBefore) / seconds;
  let total = 0;
  const rows = [...after].map(([name, a]) => {
    const b = before.get(name) ?? { calls: 0, usec: 0 };
    total += a.usec - b.usec;
    return { name, callsPerS: (a.calls - b.calls) / seconds, usecPerS: (a.usec - b.usec) / seconds };
  });
  rows.sort((x, y) => y.usecPerS - x.usecPerS);
  console.log(
    `redis-server CPU ${(cpuUs / seconds).toFixed(0)} µs/s; commands ${(total / seconds).toFixed(0)} µs/s; ${readsPerS.toFixed(1)} client reads/s`,
  );
  for (const r of rows.filter((r) => r.callsPerS > 0))
    console.log(
      `${r.name.padEnd(24)} ${r.callsPerS.toFixed(1).padStart(9)} calls/s ${r.usecPerS.toFixed(0).padStart(8)} µs/s ${(r.usecPerS / r.callsPerS).toFixed(1).padStart(7)} µs/call`,
    );
  const slowSeconds = Number(slowArg);
  if (slowSeconds <= 0) return redis.disconnect();
  await redis.config('SET', 'slowlog-max-len', '1000000');
  await redis.slowlog('RESET');
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await sleep(slowSeconds * 1000);
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const log = (await redis.slowlog('GET', -1)) as [number, number, number, string[]][];
  await redis.slowlog('RESET');
  const by = new Map<string, { calls: number; usec: number; keys: number }>();
  for (const [, , usec, args] of log) {
    const cmd = (args[0] ?? '').toLowerCase();
    const name = cmd === 'evalsha' ? (names.get(args[1] ?? '') ?? `evalsha ${args[1]?.slice(0, 8)}`) : cmd;
    const e = by.get(name) ?? { calls: 0, usec: 0, keys: 0 };
    e.calls++;
    e.usec += usec;
    if (cmd === 'evalsha') e.keys += Number(args[2] ?? 0);
    by.set(name, e);
  }
  console.log(`\nSLOWLOG over ${slowSeconds} s (${log.length} entries)`);
  for (const [name, e] of [...by].sort((x, y) => y[1].usec - x[1].usec))
    console.log(
      `${name.padEnd(34)} ${(e.calls / slowSeconds).toFixed(1).padStart(9)} calls/s ${(e.usec / slowSeconds).toFixed(0).padStart(8)} µs/s ${(e.usec / e.calls).toFixed(1).padStart(7)} µs/call ${e.keys ? `${(e.keys / e.calls).toFixed(1)} keys/call` : ''}`,
    );
  redis.disconnect();
}

await main();
