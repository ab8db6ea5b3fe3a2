/**
 * What a Prometheus scrape of a prober costs (issue 13: "prober RSS < 150 MB and flat"): `smallest`
 * and `largest` HTTP checks' per-check series in a process of their own (bench/support/scrape-process.ts),
 * scraped `scrapes` times over loopback by each path: the old one (the whole text built by prom-client's
 * `registry.metrics()` and sent with one `end`), RoleServer's streamed one, and that streamed through
 * gzip (levels 1 and 6: what gzipping would cost; RoleServer sends plain text). Each path gets
 * `rounds` processes, the paths' order reversed every other round (a loaded machine drifts). Per scrape: the process's CPU, its peak RSS
 * above the RSS before (after a full GC; VmHWM reset by /proc/self/clear_refs), its peak heap growth
 * (used + external, read every ms and at the end) and the bytes sent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { type BenchReport, progress } from './support/report.js';
import type { ScrapeMeasure, ScrapePath } from './support/scrape-process.js';
import { fmt, median } from './support/stats.js';
import type { Table } from './support/table.js';

export interface ScrapeBenchOptions {
  smallest: number;
  largest: number;
  scrapes: number;
  rounds: number;
}

export const SCRAPE_DEFAULTS: ScrapeBenchOptions = { smallest: 10_000, largest: 50_000, scrapes: 4, rounds: 2 };

interface Variant {
  label: string;
  path: ScrapePath;
  gzip: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'old: whole text, one end()', path: 'old', gzip: false },
  { label: 'new: streamed', path: 'new', gzip: false },
  { label: 'streamed, gzip level 1', path: 'gzip1', gzip: true },
  { label: 'streamed, gzip level 6', path: 'gzip6', gzip: true },
];

interface Scrape extends ScrapeMeasure {
  bytes: number;
  scraperCpuMs: number;
  first: boolean;
}

const TSX = fileURLToPath(import.meta.resolve('tsx'));
const CHILD = fileURLToPath(new URL('./support/scrape-process.ts', import.meta.url));
const MB = 1_048_576;

/** The child's stdout, a line at a time. */
function lineReader(child: ChildProcess): () => Promise<string> {
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else ready.push(line);
  });
  return () => {
    const line = ready.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
}

/**
 * One GET of /metrics, inflating a gzipped answer as Prometheus does; resolves the bytes received
 * (as sent) and this process's CPU for it (the scraper's side: receiving, and inflating).
 */
function get(port: number, gzip: boolean): Promise<{ bytes: number; scraperCpuMs: number }> {
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
    request({ host: '127.0.0.1', port, path: '/metrics', headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      const body = gzip ? response.pipe(createGunzip()) : response;
      body.on('data', () => {});
      body.on('end', () => {
        const used = process.cpuUsage(cpu);
        resolve({ bytes, scraperCpuMs: (used.user + used.system) / 1000 });
      });
      body.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function scrapeProcess(variant: Variant, checks: number, scrapes: number): Promise<Scrape[]> {
  const child = spawn(
    process.execPath,
    ['--max-semi-space-size=4', '--import', TSX, CHILD, JSON.stringify({ path: variant.path, checks })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const next = lineReader(child);
    const port = Number(await next());
    const measured: Scrape[] = [];
    for (let s = 0; s < scrapes; s++) {
      child.stdin?.write('measure\n');
      if ((await next()) !== 'armed') throw new Error('scrape-process: expected "armed"');
      const got = await get(port, variant.gzip);
      const figures = JSON.parse(await next()) as ScrapeMeasure;
      measured.push({ ...figures, ...got, first: s === 0 });
    }
    return measured;
  } finally {
    child.stdin?.end();
    child.kill('SIGTERM');
  }
}

function tableOf(checks: number, byVariant: Map<Variant, Scrape[]>, options: ScrapeBenchOptions): Table {
  const figures = (variant: Variant) => {
    const all = byVariant.get(variant) ?? [];
    const later = all.filter((scrape) => !scrape.first);
    return {
      bytes: median(all.map((scrape) => scrape.bytes)),
      cpu: median(later.map((scrape) => scrape.cpuMs)),
      scraper: median(later.map((scrape) => scrape.scraperCpuMs)),
      wall: median(later.map((scrape) => scrape.wallMs)),
      before: median(all.map((scrape) => scrape.rssBefore)),
      firstRss: Math.max(...all.filter((scrape) => scrape.first).map((scrape) => scrape.rssPeakGrowth)),
      laterRss: median(later.map((scrape) => scrape.rssPeakGrowth)),
      heap: median(later.map((scrape) => scrape.heapPeakGrowth)),
    };
  };
  const old = figures(VARIANTS[0] as Variant);
  const ratio = (value: number, base: number) => `${fmt(value / base, 2)}×`;
  return {
    title: `A scrape of a prober with ${fmt(checks)} HTTP checks' series (${options.rounds} processes a path, ${options.scrapes} scrapes each)`,
    columns: [
      'path',
      'bytes sent',
      'CPU ms',
      '× old',
      'scraper CPU ms',
      'wall ms',
      'RSS before MB',
      'RSS growth, 1st scrape MB',
      'RSS growth, later MB',
      '× old',
      'heap growth MB',
    ],
    rows: VARIANTS.map((variant) => {
      const f = figures(variant);
      return [
        variant.label,
        fmt(f.bytes),
        fmt(f.cpu, 1),
        ratio(f.cpu, old.cpu),
        fmt(f.scraper, 1),
        fmt(f.wall, 1),
        fmt(f.before / MB, 1),
        fmt(f.firstRss / MB, 1),
        fmt(f.laterRss / MB, 1),
        ratio(f.laterRss, old.laterRss),
        fmt(f.heap / MB, 1),
      ];
    }),
    notes: [
      'CPU: the prober’s process; scraper CPU: the bench’s, receiving (and inflating gzip) as Prometheus would',
      'CPU, scraper CPU, wall, RSS growth (later) and heap growth: medians of the scrapes after each process’s first',
      'RSS growth, 1st scrape: the largest over the processes (V8 grows its heap then; later scrapes reuse it)',
      'RSS growth: peak RSS during the scrape (VmHWM) − RSS before it, after a full GC; heap: used + external',
    ],
  };
}

export async function scrapeBench(options: ScrapeBenchOptions = SCRAPE_DEFAULTS): Promise<BenchReport> {
  const tables: Table[] = [];
  const data: Record<string, unknown> = { options };
  for (const checks of [options.smallest, options.largest]) {
    const byVariant = new Map<Variant, Scrape[]>(VARIANTS.map((variant) => [variant, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        progress(`scrape: ${checks} checks, ${variant.label}, round ${round + 1}`);
        byVariant.get(variant)?.push(...(await scrapeProcess(variant, checks, options.scrapes)));
      }
    }
    tables.push(tableOf(checks, byVariant, options));
    data[checks] = Object.fromEntries([...byVariant].map(([variant, scrapes]) => [variant.label, scrapes]));
  }
  return { name: 'scrape', tables, data };
}
