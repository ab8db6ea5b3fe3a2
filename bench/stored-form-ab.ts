/**
 * The registry's and the probe target store's stored forms side by side: base64url text (`c` / `z`,
 * then the deflated JSON in base64url, as the release before wrote them) against raw bytes (0x02 /
 * 0x01, then the deflated bytes, as written now), on a redis-server of its own:
 * `tsx bench/stored-form-ab.ts [checks] [repeats]`. `checks` HTTP checks with names and URLs of their
 * own (as bench registry-read), and as many copies of bench footprint's one check, each form
 * `repeats` times, alternately: MEMORY USAGE of the registry hash and of the three vantages' target
 * hashes ÷ checks (the store keeps a target once a vantage probing it), the mean value's length, the
 * CPU of encoding and of decoding a value (this process), and of `list()` reading the registry whole
 * (each CPU figure the least of 5 passes). Then the store as the scheduler writes it (bench
 * footprint's `measureSlots`: its SchedulerSync applying `checks` copies of footprint's check), its
 * values rewritten in the other form and back, MEMORY USAGE of each vantage's target hash after each.
 */
import {
  type Check,
  CheckRegistry,
  decodeStoredTarget,
  encodeStoredCheckText,
  encodeStoredTarget,
  encodeStoredTargetText,
  type Redis,
  type RedisKeys,
  toProbeTarget,
} from '@vigil/core';
import { startRedisServer } from './rounds.js';
import { checkSeries, templateCheck } from './support/checks.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { measureSlots } from './support/slots-footprint.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const FORMS = ['base64url', 'bytes'] as const;
type Form = (typeof FORMS)[number];

interface Run {
  set: string;
  form: Form;
  registryBytes: number;
  targetBytes: number;
  checkValue: number;
  targetValue: number;
  encodeUs: number;
  decodeUs: number;
  listUs: number;
}

const encodeTarget: Record<Form, (json: string) => string | Buffer> = {
  base64url: encodeStoredTargetText,
  bytes: encodeStoredTarget,
};

/** Passes of each CPU measure: the least is kept (the machine is shared; noise only adds). */
const PASSES = 5;

/** The least CPU µs `work` took over PASSES passes, ÷ `per`, and what its last pass returned. */
async function leastCpu<T>(per: number, work: () => T | Promise<T>): Promise<{ result: T; us: number }> {
  let least = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let pass = 0; pass < PASSES; pass++) {
    const started = process.cpuUsage();
    result = await work();
    const used = process.cpuUsage(started);
    least = Math.min(least, (used.user + used.system) / per);
  }
  return { result: result as T, us: least };
}

/** The stored target values of `targets` in `form`, and the CPU µs a value took to encode. */
function encodeAll(form: Form, targets: readonly string[]): Promise<{ result: (string | Buffer)[]; us: number }> {
  return leastCpu(targets.length, () => targets.map((json) => encodeTarget[form](json)));
}

/** The CPU µs a value takes to decode, read back from Redis as the prober reads it (Buffers). */
async function decodeAll(redis: Redis, keys: RedisKeys, ids: readonly string[]): Promise<number> {
  const values = await redis.hmgetBuffer(keys.probeTargets(VANTAGES[0] ?? '', 0), ...ids);
  const { us } = await leastCpu(ids.length, () => {
    for (const value of values)
      if (value === null || decodeStoredTarget(value) === undefined) throw new Error('unread');
  });
  return us;
}

async function measure(bench: BenchRedis, set: string, form: Form, checks: readonly Check[]): Promise<Run> {
  const { redis, keys } = bench;
  await redis.del(keys.checks, ...VANTAGES.map((v) => keys.probeTargets(v, 0)));
  const registry = new CheckRegistry({ redis, keys });
  if (form === 'bytes') await registry.putMany(checks);
  else
    for (let i = 0; i < checks.length; i += 1_000)
      await redis.hset(
        keys.checks,
        Object.fromEntries(checks.slice(i, i + 1_000).map((check) => [check.id, encodeStoredCheckText(check)])),
      );
  const targets = checks.map((check) => JSON.stringify(toProbeTarget(check)));
  const { result: values, us: encodeUs } = await encodeAll(form, targets);
  for (const vantage of VANTAGES)
    for (let i = 0; i < checks.length; i += 1_000)
      await redis.hset(
        keys.probeTargets(vantage, 0),
        Object.fromEntries(checks.slice(i, i + 1_000).map((check, j) => [check.id, values[i + j] ?? ''])),
      );
  const usage = async (key: string) => {
    await settle(redis, key);
    return Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
  };
  let targetBytes = 0;
  for (const vantage of VANTAGES) targetBytes += await usage(keys.probeTargets(vantage, 0));
  const decodeUs = await decodeAll(
    redis,
    keys,
    checks.map((check) => check.id),
  );
  const { us: listUs } = await leastCpu(checks.length, async () => {
    if ((await registry.list()).length !== checks.length) throw new Error('list() missed checks');
  });
  const sample = checks.slice(0, 100).map((check) => check.id);
  const lengths = async (key: string) => {
    const found = await redis.hmgetBuffer(key, ...sample);
    return found.reduce((sum, value) => sum + (value?.length ?? 0), 0) / sample.length;
  };
  return {
    set,
    form,
    registryBytes: (await usage(keys.checks)) / checks.length,
    targetBytes: targetBytes / checks.length,
    checkValue: await lengths(keys.checks),
    targetValue: await lengths(keys.probeTargets(VANTAGES[0] ?? '', 0)),
    encodeUs,
    decodeUs,
    listUs,
  };
}

/**
 * Every field of `key` looked up once: a hash growing past a power of two is rehashed a step a
 * lookup, and MEMORY USAGE counts both tables' buckets until it is done (~20 B a field of noise
 * that depends on what touched the hash since, not on its values).
 */
async function settle(redis: Redis, key: string): Promise<void> {
  const ids = await redis.hkeys(key);
  for (let i = 0; i < ids.length; i += 1_000) await redis.hmgetBuffer(key, ...ids.slice(i, i + 1_000));
}

/**
 * The target store the scheduler wrote for `checks` checks, B/check (every vantage's hash), in the
 * form written now, rewritten as base64url, and as bytes again.
 */
async function schedulerStore(bench: BenchRedis, checks: number): Promise<Record<string, number>> {
  await measureSlots(bench, { checks, intervalS: 60, vantages: VANTAGES });
  const bytesOf = async () => {
    let total = 0;
    for (const vantage of VANTAGES) {
      await settle(bench.redis, bench.keys.probeTargets(vantage, 0));
      total += Number(await bench.redis.memory('USAGE', bench.keys.probeTargets(vantage, 0), 'SAMPLES', 0));
    }
    return total / checks;
  };
  const rewrite = async (encode: (json: string) => string | Buffer) => {
    for (const vantage of VANTAGES) {
      const key = bench.keys.probeTargets(vantage, 0);
      const held = await bench.redis.hgetallBuffer(key);
      await bench.redis.del(key);
      const entries = Object.entries(held).map(([id, value]) => [id, encode(decodeStoredTarget(value) ?? '')] as const);
      for (let i = 0; i < entries.length; i += 1_000)
        await bench.redis.hset(key, Object.fromEntries(entries.slice(i, i + 1_000)));
    }
    return bytesOf();
  };
  const written = await bytesOf();
  const base64url = await rewrite(encodeStoredTargetText);
  const bytes = await rewrite(encodeStoredTarget);
  return { 'as the scheduler wrote it': written, base64url, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(count: number, repeats: number): Promise<void> {
  const template = templateCheck({ http: { url: 'https://api.example.com/health' }, interval: '60s', timeout: '10s' });
  const sets: Record<string, Check[]> = {
    varied: Array.from({ length: count }, (_, i) => ({
      ...template,
      id: `check-${i}`,
      name: `API health ${i}`,
      http: { ...template.http, url: `https://api-${i}.example.com/health` },
    })) as Check[],
    footprint: checkSeries(template, 'check', count),
  };
  const server = await startRedisServer();
  try {
    const bench = await benchRedis(server.url, 'vigil');
    try {
      const runs: Run[] = [];
      for (let r = 0; r < repeats; r++)
        for (const [set, checks] of Object.entries(sets))
          for (const form of r % 2 === 0 ? FORMS : [...FORMS].reverse())
            runs.push(await measure(bench, set, form, checks));
      for (const set of Object.keys(sets)) {
        console.log(`\n${set}: ${count} HTTP checks, ${VANTAGES.length} vantages, ${repeats} runs a form (medians)`);
        const row = (form: Form) => {
          const of = runs.filter((run) => run.set === set && run.form === form);
          const m = (key: keyof Omit<Run, 'set' | 'form'>) => median(of.map((run) => run[key]));
          return {
            registryBytes: m('registryBytes'),
            targetBytes: m('targetBytes'),
            checkValue: m('checkValue'),
            targetValue: m('targetValue'),
            encodeUs: m('encodeUs'),
            decodeUs: m('decodeUs'),
            listUs: m('listUs'),
          };
        };
        const [before, after] = [row('base64url'), row('bytes')];
        for (const [name, key, digits] of [
          ['registry B/check (MEMORY USAGE)', 'registryBytes', 1],
          ['target store B/check, 3 vantages (MEMORY USAGE)', 'targetBytes', 1],
          ['registry value length B', 'checkValue', 1],
          ['target value length B', 'targetValue', 1],
          ['target encode CPU µs/value', 'encodeUs', 2],
          ['target decode CPU µs/value', 'decodeUs', 2],
          ['registry list() CPU µs/check', 'listUs', 2],
        ] as const)
          console.log(
            `  ${name.padEnd(48)} base64url ${before[key].toFixed(digits).padStart(8)}  bytes ${after[key].toFixed(digits).padStart(8)}  ratio ${(after[key] / before[key]).toFixed(3)}`,
          );
      }
      const store = await schedulerStore(bench, count);
      console.log(
        `\nthe scheduler's target store, ${count} checks (footprint's) × ${VANTAGES.length} vantages, B/check:`,
      );
      for (const [name, bytes] of Object.entries(store)) console.log(`  ${name.padEnd(28)} ${bytes.toFixed(1)}`);
    } finally {
      await bench.cleanup();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
}

await main(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 3));
