/**
 * A prober's metrics in a process of its own, for `pnpm bench scrape`: `checks` HTTP checks' per-check
 * series written through the prober's ProbeMetrics, served on loopback by one `path`: `old` (the
 * whole text from prom-client's `registry.metrics()`, sent with one `end`, as RoleServer did before
 * streaming; kept here for the comparison only), `new` (RoleServer, streamed), or `gzip1`/`gzip6`
 * (streamed through gzip at that level: what RoleServer would cost if it gzipped; it does not). Argument: JSON
 * `{ path, checks }`; prints its port. Each line `measure` on stdin: a full GC, the peak RSS reset
 * (/proc/self/clear_refs), then the next request is measured; its figures are printed as a JSON line.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip } from 'node:zlib';
import { createLogger, expositionPieces, type ProbeResult, processMetrics, RoleServer, writePieces } from '@vigil/core';
import { ProbeMetrics } from '@vigil/prober';

export type ScrapePath = 'old' | 'new' | 'gzip1' | 'gzip6';

export interface ScrapeMeasure {
  cpuMs: number;
  wallMs: number;
  rssBefore: number;
  rssPeakGrowth: number;
  heapPeakGrowth: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as { path: ScrapePath; checks: number };
// As `vigil prober` holds its heap (packages/cli prober-heap.ts): old generation +30 %, nursery 4 MB.
setFlagsFromString('--heap-growing-percent=30');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const metrics = new ProbeMetrics('bench', { perCheck: true, maxChecks: args.checks });
const now = Date.now();
for (let i = 0; i < args.checks; i++) metrics.record(result(i), { kind: 'http', intervalMs: 30_000 }, now);

/**
 * A probe's result as an HTTP probe reports it (ms to two decimals), a certificate on half the checks;
 * the same in every process, so each path writes the same text.
 */
function result(i: number): ProbeResult {
  let seed = i;
  const ms = (base: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.round((base + (seed / 2_147_483_648) * base) * 100) / 100;
  };
  const timings = { dns: ms(1), connect: ms(5), tls: ms(12), firstByte: ms(40), total: 0 };
  timings.total = Math.round((timings.dns + timings.connect + timings.tls + timings.firstByte + ms(3)) * 100) / 100;
  return {
    checkId: `bench-http-${i}`,
    vantage: 'bench',
    round: now,
    startedAt: now,
    finishedAt: now,
    ok: i % 50 !== 0,
    status: i % 50 === 0 ? 503 : 200,
    timings,
    ...(i % 2 === 0 && { certExpiresAt: now + 80 * 86_400_000 + i * 1000 }),
  };
}

async function rssNow(field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
}

const heapNow = () => {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
};

let armed: { rssBefore: number; heapBefore: number } | undefined;

/** Measures the request from its arrival to its response's close. */
function measure(server: Server): void {
  server.prependListener('request', (_request, response) => {
    const base = armed;
    armed = undefined;
    if (!base) return;
    const cpu = process.cpuUsage();
    const started = performance.now();
    let heapPeak = heapNow();
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, heapNow());
    }, 1);
    response.on('close', async () => {
      heapPeak = Math.max(heapPeak, heapNow());
      clearInterval(sampler);
      const used = process.cpuUsage(cpu);
      const figures: ScrapeMeasure = {
        cpuMs: (used.user + used.system) / 1000,
        wallMs: performance.now() - started,
        rssBefore: base.rssBefore,
        rssPeakGrowth: (await rssNow('VmHWM')) - base.rssBefore,
        heapPeakGrowth: heapPeak - base.heapBefore,
      };
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    });
  });
}

async function listen(): Promise<number> {
  const log = createLogger({ level: 'silent' });
  if (args.path === 'new') {
    const role = new RoleServer({ port: 0, redis: { ping: async () => 'PONG' }, log });
    // The bench's own look at RoleServer's listener, to time the requests it answers.
    measure((role as unknown as { server: Server }).server);
    return Number(new URL(await role.listen()).port);
  }
  const server = createServer((request, response) => {
    const registry = processMetrics();
    if (args.path === 'old') {
      void registry
        .metrics()
        .then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    void expositionPieces(registry).then((pieces) => {
      response.writeHead(200, { 'content-type': registry.contentType, 'content-encoding': 'gzip' });
      const zipped = createGzip({ level: args.path === 'gzip1' ? 1 : 6 });
      zipped.pipe(response);
      request.once('close', () => zipped.destroy());
      return writePieces(zipped, pieces);
    });
  });
  measure(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const port = await listen();
process.stdout.write(`${port}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'measure') continue;
  gc();
  gc();
  // Resets VmHWM to the current RSS, so the next read is this scrape's peak.
  writeFileSync('/proc/self/clear_refs', '5');
  armed = { rssBefore: await rssNow('VmRSS'), heapBefore: heapNow() };
  process.stdout.write('armed\n');
}
process.exit(0);
