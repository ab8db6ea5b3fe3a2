/** The tables of `pnpm bench fleet`: one per size (each process against the baseline), then the summaries. */
import type { ResultKeysSample } from './fleet-redis.js';
import { fmt } from './stats.js';
import type { Table } from './table.js';

export interface ProcessFigures {
  name: string;
  /** Bytes: resident at the window's start, at its end, the largest read in it, and the process's peak (VmHWM, over its whole life). */
  rssStart: number;
  rss: number;
  rssMax: number;
  hwm: number;
  /** Over the window: % of one core, and CPU milliseconds per 1,000 probes achieved. */
  cpuPercent: number;
  cpuMsPerKProbes: number;
}

export interface SizeFigures {
  checks: number;
  intervalS: number;
  vantages: number;
  /** Mean bytes of a check's JSON, as the registry stores it. */
  jsonBytes: number;
  /** History entries a check keeps (config `history.perCheck`). */
  historySize: number;
  /** From starting the scheduler process until every job scheduler was upserted. */
  reconcileMs: number;
  /** Job schedulers the scheduler keeps for this fleet (slots × chunks × vantages). */
  schedulers: number;
  /** Whether the backlog of the roles' start was worked off before the window (else the notifier fell behind). */
  drained: boolean;
  /** Redis used_memory: before registering, after, once every scheduler exists, at the window's end. */
  memory: { empty: number; registered: number; scheduled: number; end: number };
  sample: ResultKeysSample;
  /** The baseline first, then each role, the target and Redis. */
  processes: ProcessFigures[];
  probesPerSecond: number;
  recordedPerSecond: number;
  waitingAtReconcile: Backlog;
  waitingAtStart: Backlog;
  waitingAtEnd: Backlog;
  windowMs: number;
}

interface Backlog {
  probes: number;
  results: number;
}

const MB = 1_048_576;

export function fleetTables(
  sizes: readonly SizeFigures[],
  options: { seconds: number; kind: string; scrapeEvery: number },
): Table[] {
  const sizeTables = sizes.map((size) => sizeTable(size, options));
  return [...sizeTables, throughputTable(sizes), redisTable(sizes)];
}

function scheduledRate(size: SizeFigures): number {
  return (size.checks * size.vantages) / size.intervalS;
}

function sizeTable(size: SizeFigures, options: { seconds: number; kind: string; scrapeEvery: number }): Table {
  const { seconds, kind, scrapeEvery } = options;
  const [baseline] = size.processes;
  const roles = size.processes.length;
  const rows = size.processes.map((p, i) => {
    const isRole = i > 0 && i < roles - 2;
    return [
      p.name,
      fmt(p.rssStart / MB),
      fmt(p.rss / MB),
      fmt(p.rssMax / MB),
      fmt(p.hwm / MB),
      isRole && baseline ? `${fmt(p.rss / baseline.rss, 2)}×` : '',
      isRole && baseline ? fmt((p.rss - baseline.rss) / MB) : '',
      fmt(p.cpuPercent, 1),
      i === 0 ? '' : fmt(p.cpuMsPerKProbes),
    ];
  });
  const total = size.processes.slice(1).reduce((sum, p) => sum + p.cpuPercent, 0);
  return {
    title: `Fleet: ${fmt(size.checks)} ${kind.toUpperCase()} checks × ${size.vantages} vantages every ${size.intervalS} s = ${fmt(scheduledRate(size))} probes/s scheduled; ${fmt(size.windowMs / 1000, 1)} s window`,
    columns: [
      'process',
      'RSS at start MB',
      'RSS MB',
      'largest in window MB',
      'peak MB',
      'RSS ÷ baseline',
      'RSS − baseline MB',
      'CPU % of a core',
      'CPU ms / 1k probes',
    ],
    rows,
    notes: [
      `achieved ${fmt(size.probesPerSecond)} probes/s (probers' vigil_probes_total), ${fmt(size.recordedPerSecond)} results recorded/s; waiting at the window's start ${fmt(size.waitingAtStart.probes)} probe jobs, ${fmt(size.waitingAtStart.results)} result batches; at its end ${fmt(size.waitingAtEnd.probes)} and ${fmt(size.waitingAtEnd.results)}`,
      ...(size.drained
        ? []
        : [
            'NOT steady: the result batches that waited were not worked off within 2 min of warm-up; the notifier fell behind at this size',
          ]),
      `every process together (baseline aside): ${fmt(total)} % of one core; the machine has 2`,
      'roles: `vigil <role> -c vigil.yaml`, the compiled CLI under plain node, one process each, LOG_LEVEL=warn; web serves no requests in the window',
      "RSS at the window's start and end (RSS MB), the largest read every 2 s in it; peak = VmHWM over the process life (registration, reconcile and warm-up included); redis-server RSS = used_memory_rss",
      scrapeEvery > 0
        ? `every role but web has its /metrics scraped every ${scrapeEvery} s in the window, as Prometheus would (--scrapeEvery; 0: only the probers' counters, at the window's edges)`
        : "no /metrics scrapes in the window but the probers' counters at its edges (--scrapeEvery 0)",
      `baseline = a plain node process that imports the compiled @vigil/{core,notifier,prober,scheduler,web} and idles (one for the whole run, at least 45 s old); window ${seconds} s`,
    ],
  };
}

function throughputTable(sizes: readonly SizeFigures[]): Table {
  return {
    title: 'Fleet throughput: probes scheduled vs done, and the job schedulers',
    columns: [
      'checks',
      'interval s',
      'scheduled probes/s',
      'probed/s',
      'recorded/s',
      'probed ÷ scheduled',
      'schedulers',
      'reconcile s',
    ],
    rows: sizes.map((size) => [
      fmt(size.checks),
      fmt(size.intervalS),
      fmt(scheduledRate(size)),
      fmt(size.probesPerSecond),
      fmt(size.recordedPerSecond),
      `${fmt(size.probesPerSecond / scheduledRate(size), 2)}×`,
      fmt(size.schedulers),
      fmt(size.reconcileMs / 1000, 1),
    ]),
    notes: [
      'interval = checks × vantages ÷ the rate option (at least minInterval), so every size is probed at the same rate',
      'reconcile: from starting `vigil scheduler` (process start included) until every job scheduler was upserted',
      `rate: ${sizes.map((size) => `${fmt(scheduledRate(size))}/s at ${fmt(size.checks)}`).join(', ')} (largeRate above 10,000: at the full rate the notifier fell behind on this machine)`,
      '3 prober processes (one per vantage) at every size; one 2-core machine runs every role, Redis, the target and the bench',
    ],
  };
}

function redisTable(sizes: readonly SizeFigures[]): Table {
  const per = (size: SizeFigures, bytes: number) => bytes / size.checks;
  return {
    title: 'Redis memory per check (used_memory deltas ÷ checks) vs the check JSON',
    columns: [
      'checks',
      'check JSON B',
      'registry B',
      'registry ÷ JSON',
      '+ schedulers B',
      'all at window end B',
      'history entries',
      'B / history entry',
      'other result keys B',
      `projected B (full history)`,
    ],
    rows: sizes.map((size) => {
      const { empty, registered, scheduled, end } = size.memory;
      const all = per(size, end - empty);
      const { otherBytes, bytesPerHistoryEntry } = size.sample;
      const projected = per(size, scheduled - empty) + otherBytes + size.historySize * bytesPerHistoryEntry;
      return [
        fmt(size.checks),
        fmt(size.jsonBytes),
        fmt(per(size, registered - empty)),
        `${fmt(per(size, registered - empty) / size.jsonBytes, 2)}×`,
        fmt(per(size, scheduled - registered)),
        fmt(all),
        fmt(size.sample.historyEntries, 1),
        fmt(size.sample.bytesPerHistoryEntry),
        fmt(size.sample.otherBytes),
        fmt(projected),
      ];
    }),
    notes: [
      'registry = after CheckRegistry.put of every check; + schedulers = what reconciling added (slot job schedulers, their next jobs and members, the applied fingerprints)',
      'all at window end = everything under the prefix then (registry, schedulers, jobs in flight, results, evaluation state), one Redis shared with nothing else running',
      `history entries (mean per check so far), B / entry and other result keys (latest, rounds, state, today's buckets; mean over the checks probed so far): MEMORY USAGE of ${sizes[0]?.sample.checks ?? 0} sampled checks`,
      `projected = registry + schedulers + other result keys + history.perCheck (${sizes[0]?.historySize ?? 500}) × B / history entry: a check's footprint once its history is full`,
      `check JSON = JSON.stringify of the check as registered (an HTTP or TCP check with the config defaults)`,
    ],
  };
}
