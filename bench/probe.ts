/**
 * Probe throughput: HTTP, TCP, DNS and ICMP probes per second through a prober process (queue → ProbeWorker →
 * results queue) and through the whole path (… → ResultRecorder → Redis), against raw undici /
 * net.connect / a node:dns Resolver query / an fping process at the same concurrency on the same loopback
 * target, in the same run. DESIGN.md's bar:
 * a prober process runs HTTP probes at ≥ 0.8× the raw undici rate. runProbe alone and the CPU each
 * process spends per probe say where any difference goes.
 */
import { TargetGuard, toProbeTarget } from '@vigil/core';
import { runProbe } from '@vigil/prober';
import { checkSeries, templateCheck } from './support/checks.js';
import { type CpuSample, cpuPerProbe, sampleCpu } from './support/cpu.js';
import { type Attempt, type LoadRun, rateOf, runPool } from './support/pool.js';
import { ProbePath } from './support/probe-path.js';
import { rawDns, rawFping, rawFpingBatched, rawHttp, rawTcp } from './support/raw.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt, medianRun, percentile } from './support/stats.js';
import type { Table } from './support/table.js';
import { startTarget, type Target } from './support/target.js';

export interface ProbeBenchOptions {
  /** Probes per measured run of each row. */
  count: number;
  /** Probes per row before measuring (connections, JIT, Redis scripts loaded). */
  warmup: number;
  /** Measured runs per row; the median is reported. */
  repeats: number;
  /** Probes in flight, the same for every row. */
  concurrency: number;
  /** No run of a row lasts longer. */
  maxRunMs: number;
}

export const PROBE_DEFAULTS: ProbeBenchOptions = {
  count: 10_000,
  warmup: 1_000,
  repeats: 3,
  concurrency: 100,
  maxRunMs: 60_000,
};

type Kind = 'http' | 'tcp' | 'dns' | 'icmp';

/**
 * The fping-per-request row runs this share of the probes: each is a fork and an exec, a hundred times
 * the CPU of a batched request, so a full count would take minutes.
 */
const SINGLE_SHARE = 0.1;

/** The name every DNS row asks for (the target answers any name). */
const DNS_NAME = 'bench.vigil.test';
/**
 * raw baseline · runProbe alone · a prober process to the results queue, a job per probe · the same fed
 * slot jobs of many checks, as the scheduler feeds it in production · the whole path to the recorder;
 * `single`: ICMP's other raw peer, an fping process per request (the baseline batches as the prober does)
 */
type Mode = 'raw' | 'single' | 'engine' | 'prober' | 'slots' | 'path';

interface Row {
  kind: Kind;
  mode: Mode;
  label: string;
}

const ROWS: Row[] = [
  { kind: 'http', mode: 'raw', label: 'HTTP raw undici: new Client per request, destroyed after' },
  { kind: 'http', mode: 'engine', label: '  HTTP runProbe() alone, no queues' },
  { kind: 'http', mode: 'prober', label: 'HTTP prober process: queue → ProbeWorker → results queue' },
  { kind: 'http', mode: 'slots', label: '  HTTP prober process fed slot jobs of 200 checks (production)' },
  { kind: 'http', mode: 'path', label: '  HTTP whole path: … → results → ResultRecorder' },
  { kind: 'tcp', mode: 'raw', label: 'TCP raw net.connect, destroyed on connect' },
  { kind: 'tcp', mode: 'engine', label: '  TCP runProbe() alone, no queues' },
  { kind: 'tcp', mode: 'prober', label: 'TCP prober process: queue → ProbeWorker → results queue' },
  { kind: 'tcp', mode: 'slots', label: '  TCP prober process fed slot jobs of 200 checks (production)' },
  { kind: 'tcp', mode: 'path', label: '  TCP whole path: … → results → ResultRecorder' },
  { kind: 'dns', mode: 'raw', label: 'DNS raw node:dns Resolver (c-ares): new one per question' },
  { kind: 'dns', mode: 'engine', label: '  DNS runProbe() alone, no queues' },
  { kind: 'dns', mode: 'prober', label: 'DNS prober process: queue → ProbeWorker → results queue' },
  { kind: 'dns', mode: 'path', label: '  DNS whole path: … → results → ResultRecorder' },
  { kind: 'icmp', mode: 'raw', label: 'ICMP raw fping: one process for the requests of a turn' },
  { kind: 'icmp', mode: 'single', label: '  ICMP raw fping: one process per echo request' },
  { kind: 'icmp', mode: 'engine', label: '  ICMP runProbe() alone (fping), no queues' },
  { kind: 'icmp', mode: 'prober', label: 'ICMP prober process: queue → ProbeWorker → results queue' },
  { kind: 'icmp', mode: 'path', label: '  ICMP whole path: … → results → ResultRecorder' },
];

/** Distinct check ids per run: results of one run are never duplicates of another's. */
const DISTINCT_CHECKS = 1_000;

interface Rig {
  target: Target;
  bench: BenchRedis;
  path: ProbePath;
  stage: ProbePath;
  guard: TargetGuard;
  runs: number;
}

interface Measured {
  run: LoadRun;
  /** CPU microseconds per probe, by process. */
  cpu: CpuSample;
}

export async function probeBench(options: ProbeBenchOptions = PROBE_DEFAULTS): Promise<BenchReport> {
  const [bench, stageBench] = await Promise.all([benchRedis(), benchRedis()]);
  const target = await startTarget();
  const path = new ProbePath(bench, { concurrency: options.concurrency, record: true });
  const stage = new ProbePath(stageBench, { concurrency: options.concurrency, record: false });
  try {
    await Promise.all([path.start(), stage.start()]);
    const guard = new TargetGuard({ allowPrivateTargets: true, allowTargets: [] });
    const rig: Rig = { target, bench, path, stage, guard, runs: 0 };
    const runs = new Map<Row, Measured[]>(ROWS.map((row) => [row, []]));
    for (const row of ROWS) {
      progress(`warm-up: ${row.label.trim()}`);
      await measureRow(rig, row, { ...options, count: options.warmup });
    }
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      for (const row of ROWS) {
        const measured = await measureRow(rig, row, options);
        progress(`run ${repeat}/${options.repeats}: ${row.label.trim()}: ${fmt(rateOf(measured.run))}/s`);
        runs.get(row)?.push(measured);
      }
    }
    return report(runs, options);
  } finally {
    await Promise.all([path.close(), stage.close()]);
    await target.stop();
    await Promise.all([bench.cleanup(), stageBench.cleanup()]);
  }
}

async function measureRow(rig: Rig, row: Row, options: ProbeBenchOptions): Promise<Measured> {
  const prober = row.mode === 'path' ? rig.path : rig.stage;
  const pids = { prober: prober.proberPid, target: rig.target.pid };
  const before = await sampleCpu(rig.bench.redis, pids);
  const run = await runRow(rig, row, options);
  const after = await sampleCpu(rig.bench.redis, pids);
  return { run, cpu: cpuPerProbe(before, after, run.done) };
}

function runRow(rig: Rig, row: Row, options: ProbeBenchOptions): Promise<LoadRun> {
  rig.runs++;
  // Slot rows probe the same checks every run, as production probes unchanged checks round after
  // round (the prober reads a check's target once); their results are never recorded, so never duplicates.
  const prefix = row.mode === 'slots' ? `${row.kind}-slots` : `${row.kind}-${row.mode}-${rig.runs}`;
  const targets = targetsFor(rig.target, row.kind, prefix);
  const { concurrency, maxRunMs: maxMs } = options;
  const count = rowCount(row, options.count);
  if (row.mode === 'path') return rig.path.run({ targets, count, maxMs });
  if (row.mode === 'prober') return rig.stage.run({ targets, count, maxMs });
  if (row.mode === 'slots') return rig.stage.run({ targets, count, maxMs, jobs: 'slot' });
  let next = 0;
  const task = (): Promise<Attempt> => {
    if (row.mode === 'raw') return rawAttempt(rig.target, row.kind);
    if (row.mode === 'single') return rawFping('127.0.0.1');
    const check = targets[next++ % targets.length];
    if (!check) throw new Error('no targets');
    return runProbe(check, { vantage: 'bench', round: Date.now(), guard: rig.guard }).then(
      (result) => result.ok || (result.error ?? 'unknown'),
    );
  };
  return runPool({ count, concurrency, maxMs, task });
}

function rawAttempt(target: Target, kind: Kind): Promise<Attempt> {
  if (kind === 'http') return rawHttp(target.httpOrigin, '/health');
  if (kind === 'tcp') return rawTcp(target.tcpPort);
  if (kind === 'icmp') return rawFpingBatched('127.0.0.1');
  return rawDns(target.dnsPort, DNS_NAME);
}

/** Probes a run of this row makes: the fping-per-request row a share of the others'. */
function rowCount(row: Row, count: number): number {
  return row.mode === 'single' ? Math.max(1, Math.round(count * SINGLE_SHARE)) : count;
}

function targetsFor(target: Target, kind: Kind, prefix: string) {
  const specs = {
    http: { http: { url: target.httpUrl } },
    tcp: { tcp: { host: '127.0.0.1', port: target.tcpPort } },
    dns: { dns: { name: DNS_NAME, server: `127.0.0.1:${target.dnsPort}` } },
    // One echo request per probe, as the raw row sends: the rate is then processes, not the ping period.
    icmp: { icmp: { host: '127.0.0.1', count: 1 } },
  } satisfies Record<Kind, object>;
  const spec = specs[kind];
  const template = templateCheck({ ...spec, interval: '30s', timeout: '5s' });
  return checkSeries(template, prefix, DISTINCT_CHECKS).map(toProbeTarget);
}

function summarize(runs: Map<Row, Measured[]>) {
  return ROWS.map((row) => {
    const all = runs.get(row) ?? [];
    const { run, cpu } = medianRun(all, (m) => rateOf(m.run));
    return {
      ...row,
      rate: rateOf(run),
      rates: all.map((m) => rateOf(m.run)),
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
      cpu,
      done: run.done,
      ok: run.ok,
      failed: run.failed,
    };
  });
}

function report(runs: Map<Row, Measured[]>, options: ProbeBenchOptions): BenchReport {
  const summary = summarize(runs);
  const rawRate = (kind: Kind) => summary.find((s) => s.kind === kind && s.mode === 'raw')?.rate ?? Number.NaN;
  const rows = summary.map((s) => {
    const failed = Object.entries(s.failed).map(([code, n]) => ` ${code}:${n}`);
    return [
      s.label,
      fmt(s.rate),
      s.rates.map((rate) => fmt(rate)).join(' / '),
      fmt(s.p50, 1),
      fmt(s.p99, 1),
      [s.cpu.self, s.cpu.prober, s.cpu.redis, s.cpu.target].map((us) => fmt(us)).join(' | '),
      `${fmt(s.ok)}/${fmt(s.done)}${failed.join('')}`,
      `${fmt(s.rate / rawRate(s.kind), 2)}×`,
    ];
  });
  const ratioOf = (kind: Kind, mode: Mode) =>
    (summary.find((s) => s.kind === kind && s.mode === mode)?.rate ?? 0) / rawRate(kind);
  const bar = (label: string, kind: Kind, mode: Mode) => {
    const ratio = ratioOf(kind, mode);
    return { label, kind, mode, ratio, met: ratio >= 0.8 };
  };
  /** Prober process CPU per probe ÷ the raw peer's CPU per probe (this process, the raw row), same run. */
  const cpuRatio = (kind: Kind, mode: Mode) => {
    const raw = summary.find((s) => s.kind === kind && s.mode === 'raw')?.cpu.self ?? Number.NaN;
    return (summary.find((s) => s.kind === kind && s.mode === mode)?.cpu.prober ?? Number.NaN) / raw;
  };
  const cpuNote = (kind: Kind, peer: string) =>
    `${kind.toUpperCase()} prober CPU per probe ÷ raw ${peer}'s (same run): job per probe ${fmt(cpuRatio(kind, 'prober'), 2)}×, slot jobs ${fmt(cpuRatio(kind, 'slots'), 2)}×`;
  const httpCpu = cpuRatio('http', 'slots');
  const verdicts = [
    bar('HTTP prober process ≥ 0.8× raw undici (DESIGN.md)', 'http', 'prober'),
    bar('HTTP whole path ≥ 0.8× raw undici', 'http', 'path'),
    bar('TCP whole path ≥ 0.8× raw net.connect', 'tcp', 'path'),
    bar('DNS prober process ≥ 0.8× raw Resolver query', 'dns', 'prober'),
    bar('DNS whole path ≥ 0.8× raw Resolver query', 'dns', 'path'),
    bar('ICMP prober process ≥ 0.8× raw fping', 'icmp', 'prober'),
    bar('ICMP whole path ≥ 0.8× raw fping', 'icmp', 'path'),
  ];
  const table: Table = {
    title: `Probe throughput: ${fmt(options.count)} probes per run, ${options.concurrency} in flight, median of ${options.repeats} runs`,
    columns: [
      'path',
      'probes/s',
      'runs (probes/s)',
      'p50 ms',
      'p99 ms',
      'CPU µs/probe bench|prober|redis|target',
      'ok/done',
      'ratio',
    ],
    rows,
    notes: [
      'ratio = rate ÷ raw rate of the same protocol, measured in this run against the same target (a child process)',
      'p50/p99 = probe duration: raw request or connect time; runProbe/whole path: result.timings.total',
      'prober rows: the queue is filled while paused, then resumed; timed from the resume until no probe job is left (each completes after its result is queued)',
      `ProbeWorker concurrency ${options.concurrency}, perHostConcurrency ${options.concurrency}, in its own process; ResultRecorder concurrency 16 (default; jobs are batches of results) in this one`,
      'indented rows are the breakdown, not bars; bench = this process (raw pool, runProbe, recorder)',
      `ICMP rows: one echo request a probe (-c1); the prober and the raw baseline put the requests of one event-loop turn into one fping run; the fping-per-request row runs ${fmt(Math.round(options.count * SINGLE_SHARE))} probes a run; CPU columns include reaped child processes (fping)`,
      'one machine runs everything here (bench, prober, Redis, target share the cores); in production they do not',
      'slot rows: what the scheduler sends in production, one job per slot of 200 checks (members and targets in Redis, read once per check and then cached by the prober); the other prober rows send one job per probe, as a one-off probe does',
      cpuNote('http', 'undici'),
      cpuNote('tcp', 'net.connect'),
      ...verdicts.map((v) => `bar: ${v.label}: ${fmt(v.ratio, 2)}× (${v.met ? 'met' : 'NOT met'})`),
      `bar: HTTP prober CPU per probe ≤ 1.15× raw undici's, slot jobs (issue 13): ${fmt(httpCpu, 2)}× (${httpCpu <= 1.15 ? 'met' : 'NOT met'})`,
    ],
  };
  const cpu = {
    http: { prober: cpuRatio('http', 'prober'), slots: httpCpu },
    tcp: { slots: cpuRatio('tcp', 'slots') },
  };
  return { name: 'probe', tables: [table], data: { options, rows: summary, verdicts, cpu } };
}
