/**
 * What the registry's stored form costs (core's CheckRegistry, checks/stored-check.ts): `checks`
 * HTTP checks (names and URLs of their own) stored as JSON, as releases before the compact form wrote
 * them, and compact, alternately `repeats` times on a redis-server of the bench's own: MEMORY USAGE of
 * the registry hash ÷ checks, and the CPU of reading it whole (`list()`, what a scheduler or notifier
 * does at its start) and of putting every check again unchanged (`putMany`, the scheduler's start).
 */
import { type Check, CheckRegistry } from '@vigil/core';
import { startRedisServer } from './rounds.js';
import { templateCheck } from './support/checks.js';
import { benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt, median } from './support/stats.js';

export interface RegistryReadBenchOptions {
  checks: number;
  repeats: number;
}

export const REGISTRY_READ_DEFAULTS: RegistryReadBenchOptions = { checks: 100_000, repeats: 3 };

const FORMS = ['json', 'compact'] as const;
type Form = (typeof FORMS)[number];

interface Run {
  form: Form;
  bytesPerCheck: number;
  listMs: number;
  listCpuMs: number;
  putManyCpuMs: number;
}

export async function registryReadBench(
  options: RegistryReadBenchOptions = REGISTRY_READ_DEFAULTS,
): Promise<BenchReport> {
  const template = templateCheck({ http: { url: 'https://api.example.com/health' }, interval: '60s', timeout: '10s' });
  const checks: Check[] = Array.from({ length: options.checks }, (_, i) => ({
    ...template,
    id: `check-${i}`,
    name: `API health ${i}`,
    http: { ...template.http, url: `https://api-${i}.example.com/health` },
  })) as Check[];
  const server = await startRedisServer();
  try {
    const bench = await benchRedis(server.url, 'vigil');
    try {
      const registry = new CheckRegistry({ redis: bench.redis, keys: bench.keys });
      const runs: Run[] = [];
      for (let r = 0; r < options.repeats; r++)
        for (const form of FORMS) {
          runs.push(await measure(bench, registry, checks, form));
          progress(`${form} ${r + 1}/${options.repeats}`);
        }
      return report(options, runs);
    } finally {
      await bench.cleanup();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
}

async function measure(
  bench: Awaited<ReturnType<typeof benchRedis>>,
  registry: CheckRegistry,
  checks: readonly Check[],
  form: Form,
): Promise<Run> {
  await bench.redis.del(bench.keys.checks);
  if (form === 'json') {
    for (let i = 0; i < checks.length; i += 1_000)
      await bench.redis.hset(
        bench.keys.checks,
        Object.fromEntries(checks.slice(i, i + 1_000).map((check) => [check.id, JSON.stringify(check)])),
      );
  } else await registry.putMany(checks);
  const bytes = Number(await bench.redis.memory('USAGE', bench.keys.checks, 'SAMPLES', 0));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const listed = await registry.list();
  const listCpu = process.cpuUsage(cpu);
  const listMs = performance.now() - started;
  if (listed.length !== checks.length) throw new Error(`listed ${listed.length} of ${checks.length}`);
  // Unchanged: compared, not written (a JSON value is converted, so that run puts the JSON back after).
  const putCpu = process.cpuUsage();
  await registry.putMany(checks);
  const putMany = process.cpuUsage(putCpu);
  return {
    form,
    bytesPerCheck: bytes / checks.length,
    listMs,
    listCpuMs: (listCpu.user + listCpu.system) / 1000,
    putManyCpuMs: (putMany.user + putMany.system) / 1000,
  };
}

function report(options: RegistryReadBenchOptions, runs: Run[]): BenchReport {
  const row = (form: Form) => {
    const of = runs.filter((run) => run.form === form);
    const m = (key: (run: Run) => number) => median(of.map(key));
    return [
      form,
      fmt(m((r) => r.bytesPerCheck)),
      fmt(m((r) => r.listMs)),
      fmt(m((r) => r.listCpuMs)),
      fmt((m((r) => r.listCpuMs) * 1000) / options.checks, 2),
      fmt(m((r) => r.putManyCpuMs)),
    ];
  };
  return {
    name: 'registry-read',
    tables: [
      {
        title: `The check registry: ${fmt(options.checks)} HTTP checks, each form ${options.repeats} times, alternately (medians)`,
        columns: ['stored as', 'bytes/check', 'list() ms', 'list() CPU ms', 'CPU µs/check', 'putMany unchanged CPU ms'],
        rows: FORMS.map(row),
        notes: [
          'bytes: MEMORY USAGE of the registry hash ÷ checks; CPU: this process (decode and parse; Redis apart)',
          'json: as releases before the compact form wrote values (its putMany converts them, unannounced)',
        ],
      },
    ],
    data: { options, runs },
  };
}
