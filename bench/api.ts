/**
 * The operator API under load: requests a second and latency of its routes on a real loopback port
 * against real Redis, each beside a bare Fastify route answering the same JSON from memory (the
 * peer, measured in the same run), so the ratio is what Vigil's auth, rate limit, validation and
 * Redis reads cost. One process serves, another generates load, so they do not share a core.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { PROFILE } from './support/child.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt, percentile } from './support/stats.js';
import type { Table } from './support/table.js';

export interface ApiBenchOptions {
  /** Checks registered for the token's owner before measuring. */
  checks: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** How long each route is driven. */
  durationMs: number;
}

export const API_DEFAULTS: ApiBenchOptions = { checks: 1_000, concurrency: 32, durationMs: 5_000 };

interface Ready {
  url: string;
  token: string;
  sampleCheck: string;
  pingTokens: string[];
}

interface Load {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** Drives one request shape at `concurrency` for `durationMs`; every answer must have `status`. */
async function drive(
  pool: Pool,
  request: {
    method: 'GET' | 'POST' | 'PUT';
    path: string | (() => string);
    headers?: Record<string, string>;
    body?: () => string;
  },
  status: number,
  options: ApiBenchOptions,
): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await pool.request({
        method: request.method,
        path: typeof request.path === 'string' ? request.path : request.path(),
        headers: { ...request.headers, ...(request.body && { 'content-type': 'application/json' }) },
        ...(request.body && { body: request.body() }),
      });
      await response.body.dump();
      latencies.push(performance.now() - t0);
      if (response.statusCode !== status) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = performance.now() - started;
  return {
    requests: latencies.length,
    errors,
    rps: (latencies.length / elapsed) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export async function apiBench(options: ApiBenchOptions = API_DEFAULTS): Promise<BenchReport> {
  const server = fork(fileURLToPath(new URL('./support/api-server.ts', import.meta.url)), [String(options.checks)], {
    execArgv: ['--import', 'tsx', ...PROFILE],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready & { bareUrl: string }>((resolve, reject) => {
    server.once('message', (message) => resolve(message as Ready & { bareUrl: string }));
    server.once('exit', (code) => reject(new Error(`the API server exited (${code})`)));
  });
  const pools = [
    new Pool(ready.url, { connections: options.concurrency }),
    new Pool(ready.bareUrl, { connections: options.concurrency }),
  ];
  const [vigil, bare] = pools as [Pool, Pool];
  const auth = { authorization: `Bearer ${ready.token}` };
  let created = 0;
  let pinged = 0;
  const pingPath = () => `/ping/${ready.pingTokens[pinged++ % ready.pingTokens.length]}`;
  const scenarios: { name: string; vigil: () => Promise<Load>; bare: () => Promise<Load> }[] = [
    {
      name: 'GET /api/v1/checks/:id',
      vigil: () =>
        drive(vigil, { method: 'GET', path: `/api/v1/checks/${ready.sampleCheck}`, headers: auth }, 200, options),
      bare: () => drive(bare, { method: 'GET', path: '/check' }, 200, options),
    },
    {
      name: 'GET /api/v1/checks?limit=100',
      vigil: () => drive(vigil, { method: 'GET', path: '/api/v1/checks?limit=100', headers: auth }, 200, options),
      bare: () => drive(bare, { method: 'GET', path: '/checks' }, 200, options),
    },
    {
      name: 'POST /api/v1/checks',
      vigil: () =>
        drive(
          vigil,
          {
            method: 'POST',
            path: '/api/v1/checks',
            headers: auth,
            body: () =>
              JSON.stringify({ id: `new-${created++}`, interval: '1m', http: { url: 'https://example.com/' } }),
          },
          201,
          options,
        ),
      bare: () =>
        drive(
          bare,
          {
            method: 'POST',
            path: '/checks',
            body: () => JSON.stringify({ id: 'x', http: { url: 'https://example.com/' } }),
          },
          201,
          options,
        ),
    },
    {
      // One script per ping (token, rate limit, state, stream); tokens taken in turn stay under their limits.
      name: 'POST /ping/:token (heartbeat)',
      vigil: () => drive(vigil, { method: 'POST', path: pingPath, body: () => '{"log":"backup done"}' }, 200, options),
      bare: () => drive(bare, { method: 'POST', path: '/ping', body: () => '{"log":"backup done"}' }, 200, options),
    },
    {
      name: 'GET / (status page)',
      vigil: () => drive(vigil, { method: 'GET', path: '/' }, 200, options),
      bare: () => drive(bare, { method: 'GET', path: '/page' }, 200, options),
    },
    {
      name: 'GET / with If-None-Match (304)',
      vigil: async () => {
        const first = await vigil.request({ method: 'GET', path: '/' });
        await first.body.dump();
        const etag = String(first.headers.etag);
        return drive(vigil, { method: 'GET', path: '/', headers: { 'if-none-match': etag } }, 304, options);
      },
      bare: () => drive(bare, { method: 'GET', path: '/page' }, 200, options),
    },
    {
      name: 'GET /api/v2/summary.json',
      vigil: () => drive(vigil, { method: 'GET', path: '/api/v2/summary.json' }, 200, options),
      bare: () => drive(bare, { method: 'GET', path: '/page' }, 200, options),
    },
  ];
  const rows: string[][] = [];
  const data: Record<string, unknown> = { options };
  try {
    for (const scenario of scenarios) {
      progress(`api: ${scenario.name}`);
      const peer = await scenario.bare();
      const ours = await scenario.vigil();
      data[scenario.name] = { vigil: ours, bare: peer };
      rows.push([
        scenario.name,
        fmt(ours.rps),
        fmt(ours.p50, 1),
        fmt(ours.p99, 1),
        fmt(peer.rps),
        `${fmt(ours.rps / peer.rps, 2)}×`,
        String(ours.errors),
      ]);
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
    server.kill('SIGTERM');
  }
  const table: Table = {
    title: `Operator API, ${options.checks} checks registered, ${options.concurrency} in flight, ${options.durationMs / 1000}s a route`,
    columns: ['route', 'req/s', 'p50 ms', 'p99 ms', 'bare Fastify req/s', 'ratio', 'errors'],
    rows,
    notes: [
      'bare Fastify: the same route shape answering a prepared JSON from memory, no auth, no Redis',
      'every Vigil request verifies its bearer token and counts it against the rate limit in Redis',
      'public routes (/, /api/v2): no token; the 1,000 checks are one public component with 90-day bars; the',
      'page model is rebuilt at most every 2 s; the peer for them serves the same rendered page from memory',
      'POST /ping: no bearer token; one Redis script per ping (token hash, its rate limit, state, stream),',
      'over 3,000 heartbeat checks whose tokens take turns (each allows 30 pings a minute)',
    ],
  };
  return { name: 'api', tables: [table], data };
}
