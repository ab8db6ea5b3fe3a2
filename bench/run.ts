/**
 * `pnpm bench probe|schedule|detect|api|fleet|startup|rounds|footprint|latency-merge|latency-aggregate|scale|deliveries|console|slot-jobs|registry-read|scrape|slot-plan|all`: runs the benches that check DESIGN.md's non-functional bars,
 * prints a table per bench and saves what was measured to `bench/results/<name>-<ISO time>.json`.
 * Numeric options override a bench's defaults (`pnpm bench probe --count 2000 --repeats 1`);
 * `--redis-url URL` runs `scale` on an existing Redis instead of a private one; `--kind http|tcp`
 * says what `fleet`'s checks probe.
 * `BENCH_PROF=DIR` makes every child process (target, probers) write a V8 CPU profile there.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API_DEFAULTS, apiBench } from './api.js';
import { CONSOLE_DEFAULTS, consoleBench } from './console.js';
import { DELIVERIES_DEFAULTS, deliveriesBench } from './deliveries.js';
import { DETECT_DEFAULTS, detectBench } from './detect.js';
import { FLEET_DEFAULTS, FLEET_KINDS, type FleetKind, fleetBench } from './fleet.js';
import { FOOTPRINT_DEFAULTS, footprintBench } from './footprint.js';
import { LATENCY_AGGREGATE_DEFAULTS, latencyAggregateBench } from './latency-aggregate.js';
import { LATENCY_MERGE_DEFAULTS, latencyMergeBench } from './latency-merge.js';
import { PROBE_DEFAULTS, probeBench } from './probe.js';
import { REGISTRY_READ_DEFAULTS, registryReadBench } from './registry-read.js';
import { ROUNDS_DEFAULTS, roundsBench } from './rounds.js';
import { SCALE_DEFAULTS, type ScaleBenchFlags, scaleBench } from './scale.js';
import { SCHEDULE_DEFAULTS, scheduleBench } from './schedule.js';
import { SCRAPE_DEFAULTS, scrapeBench } from './scrape.js';
import { SLOT_JOBS_DEFAULTS, slotJobsBench } from './slot-jobs.js';
import { SLOT_PLAN_DEFAULTS, slotPlanBench } from './slot-plan.js';
import { STARTUP_DEFAULTS, startupBench } from './startup.js';
import type { BenchReport } from './support/report.js';
import { renderTable } from './support/table.js';

type Overrides = Record<string, number>;

/** The options that are not numbers: `--redis-url` (scale), `--kind` (fleet). */
interface BenchFlags extends ScaleBenchFlags {
  kind?: FleetKind;
}

/** Each bench with its defaults; `--name value` overrides a numeric option (`--count 5000`). */
const BENCHES: Record<string, (overrides: Overrides, flags: BenchFlags) => Promise<BenchReport>> = {
  probe: (overrides) => probeBench({ ...PROBE_DEFAULTS, ...pick(PROBE_DEFAULTS, overrides) }),
  schedule: (overrides) => scheduleBench({ ...SCHEDULE_DEFAULTS, ...pick(SCHEDULE_DEFAULTS, overrides) }),
  detect: (overrides) => detectBench({ ...DETECT_DEFAULTS, ...pick(DETECT_DEFAULTS, overrides) }),
  api: (overrides) => apiBench({ ...API_DEFAULTS, ...pick(API_DEFAULTS, overrides) }),
  fleet: (overrides, flags) =>
    fleetBench({ ...FLEET_DEFAULTS, ...pick(FLEET_DEFAULTS, overrides), ...(flags.kind && { kind: flags.kind }) }),
  startup: (overrides) => startupBench({ ...STARTUP_DEFAULTS, ...pick(STARTUP_DEFAULTS, overrides) }),
  rounds: (overrides) => roundsBench({ ...ROUNDS_DEFAULTS, ...pick(ROUNDS_DEFAULTS, overrides) }),
  footprint: (overrides) => footprintBench({ ...FOOTPRINT_DEFAULTS, ...pick(FOOTPRINT_DEFAULTS, overrides) }),
  'latency-merge': (overrides) =>
    latencyMergeBench({ ...LATENCY_MERGE_DEFAULTS, ...pick(LATENCY_MERGE_DEFAULTS, overrides) }),
  'latency-aggregate': (overrides) =>
    latencyAggregateBench({ ...LATENCY_AGGREGATE_DEFAULTS, ...pick(LATENCY_AGGREGATE_DEFAULTS, overrides) }),
  scale: (overrides, flags) => scaleBench({ ...SCALE_DEFAULTS, ...pick(SCALE_DEFAULTS, overrides) }, flags),
  deliveries: (overrides) => deliveriesBench({ ...DELIVERIES_DEFAULTS, ...pick(DELIVERIES_DEFAULTS, overrides) }),
  console: (overrides) => consoleBench({ ...CONSOLE_DEFAULTS, ...pick(CONSOLE_DEFAULTS, overrides) }),
  'slot-jobs': (overrides) => slotJobsBench({ ...SLOT_JOBS_DEFAULTS, ...pick(SLOT_JOBS_DEFAULTS, overrides) }),
  'registry-read': (overrides) =>
    registryReadBench({ ...REGISTRY_READ_DEFAULTS, ...pick(REGISTRY_READ_DEFAULTS, overrides) }),
  scrape: (overrides) => scrapeBench({ ...SCRAPE_DEFAULTS, ...pick(SCRAPE_DEFAULTS, overrides) }),
  'slot-plan': (overrides) => slotPlanBench({ ...SLOT_PLAN_DEFAULTS, ...pick(SLOT_PLAN_DEFAULTS, overrides) }),
};

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** The numeric options of `defaults` that `overrides` names; the others belong to another bench. */
function pick(defaults: object, overrides: Overrides): Overrides {
  return Object.fromEntries(
    Object.entries(overrides).filter(([name]) => typeof Reflect.get(defaults, name) === 'number'),
  );
}

function parseOverrides(args: string[]): { positionals: string[]; overrides: Overrides; flags: BenchFlags } {
  const names = new Set(
    [
      PROBE_DEFAULTS,
      SCHEDULE_DEFAULTS,
      DETECT_DEFAULTS,
      API_DEFAULTS,
      FLEET_DEFAULTS,
      STARTUP_DEFAULTS,
      ROUNDS_DEFAULTS,
      FOOTPRINT_DEFAULTS,
      LATENCY_MERGE_DEFAULTS,
      LATENCY_AGGREGATE_DEFAULTS,
      SCALE_DEFAULTS,
      DELIVERIES_DEFAULTS,
      CONSOLE_DEFAULTS,
      REGISTRY_READ_DEFAULTS,
      SCRAPE_DEFAULTS,
      SLOT_PLAN_DEFAULTS,
    ]
      .flatMap((defaults) => Object.entries(defaults))
      .filter(([, value]) => typeof value === 'number')
      .map(([name]) => name),
  );
  const options = Object.fromEntries(
    [...names, 'redis-url', 'kind'].map((name) => [name, { type: 'string' as const }]),
  );
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true });
  const { 'redis-url': redisUrl, kind, ...numeric } = values;
  const flags: BenchFlags = typeof redisUrl === 'string' ? { redisUrl } : {};
  if (kind !== undefined) flags.kind = fleetKind(kind);
  const overrides: Overrides = {};
  for (const [name, value] of Object.entries(numeric)) {
    const number = Number(value);
    if (typeof value !== 'string' || !Number.isFinite(number)) throw new Error(`--${name} expects a number`);
    overrides[name] = number;
  }
  return { positionals, overrides, flags };
}

function fleetKind(value: unknown): FleetKind {
  const kind = FLEET_KINDS.find((known) => known === value);
  if (!kind) throw new Error(`--kind expects one of ${FLEET_KINDS.join(', ')}; got ${JSON.stringify(value)}`);
  return kind;
}

async function save(report: BenchReport, startedAt: Date): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${report.name}-${startedAt.toISOString().replace(/:/g, '-')}.json`;
  const environment = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform };
  const tables = report.tables.map(renderTable);
  await writeFile(file, `${JSON.stringify({ ...report, startedAt, environment, printed: tables }, null, 2)}\n`);
  return file;
}

async function main(args: string[]): Promise<number> {
  const { positionals, overrides, flags } = parseOverrides(args);
  const wanted = positionals[0] ?? 'all';
  const names = wanted === 'all' ? Object.keys(BENCHES) : [wanted];
  const unknown = names.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown bench ${unknown.join(', ')}; expected one of: ${Object.keys(BENCHES).join(', ')}, all`);
    return 2;
  }
  for (const name of names) {
    const startedAt = new Date();
    const bench = BENCHES[name];
    if (!bench) continue;
    const report = await bench(overrides, flags);
    for (const table of report.tables) console.log(`\n${renderTable(table)}\n`);
    console.log(`saved ${await save(report, startedAt)}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
