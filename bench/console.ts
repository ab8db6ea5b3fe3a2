/**
 * The console's overview at scale: server time and bytes per render of the page, of the polled grid
 * fragment (200) and of an unchanged poll (304), and of a text filter that reads every check, with
 * `checks` checks of 3 vantages on real Redis, driven in process with `inject` (no socket). Then the
 * live update cost per connected console: 1, 10, 50 consoles polling every 2 s on a simulated clock.
 */
import { performance } from 'node:perf_hooks';
import { checkInputSchema, resolveCheck, tokenInputSchema, validateConfig } from '@vigil/core';
import { testContext } from '@vigil/core/testing';
import { buildApp, createWebContext } from '@vigil/web';
import { chromium } from 'playwright-core';
import { type BenchReport, progress } from './support/report.js';
import { fmt, percentile } from './support/stats.js';

export interface ConsoleBenchOptions {
  checks: number;
  /** Renders measured per request shape. */
  renders: number;
  /** Fresh page loads in Chromium whose first contentful paint is measured. */
  paints: number;
}

export const CONSOLE_DEFAULTS: ConsoleBenchOptions = { checks: 10_000, renders: 50, paints: 5 };

const VANTAGES = ['alpha', 'beta', 'gamma'];
/** The console's poll interval and how long it keeps a view (POLL_MS and GRID_CACHE_MS in @vigil/web). */
const POLL_MS = 2_000;
const VIEW_TTL_MS = 1_000;
/** Poll cycles simulated per row of the live update table. */
const CYCLES = 20;

type App = ReturnType<typeof buildApp>;

/** A clock the bench moves: polls 2 s apart cost no real waiting. */
function benchClock() {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function signIn(app: App, token: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/console/sign-in',
    payload: new URLSearchParams({ token }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return String(response.headers['set-cookie']).split(';')[0] ?? '';
}

/**
 * `consoles` sessions polling /console/grid with their ETag, spread evenly over each 2 s cycle, for
 * `CYCLES` cycles: process CPU (user + system) and bytes (body and headers) per poll. `change`
 * writes one failed result each cycle, so every console gets one 200 per cycle.
 */
async function liveCost(
  app: App,
  ctx: ReturnType<typeof createWebContext>,
  clock: ReturnType<typeof benchClock>,
  options: { cookies: string[]; change: boolean },
): Promise<{ cpuUs: number; bytes: number; notModified: number }> {
  const etags = new Map<string, string>();
  for (const cookie of options.cookies) {
    const first = await app.inject({ method: 'GET', url: '/console/grid', headers: { cookie } });
    etags.set(cookie, String(first.headers.etag));
  }
  let polls = 0;
  let bytes = 0;
  let notModified = 0;
  const cpu0 = process.cpuUsage();
  for (let cycle = 0; cycle < CYCLES; cycle += 1) {
    if (options.change) {
      const round = clock.now();
      await ctx.results.record(
        {
          checkId: 'check-00000',
          vantage: 'alpha',
          round,
          startedAt: round,
          finishedAt: round + 5,
          ok: cycle % 2 === 0,
          ...(cycle % 2 === 0 ? {} : { error: 'timeout' as const, message: 'timed out' }),
          timings: { total: 5 },
        },
        30_000,
      );
    }
    for (const cookie of options.cookies) {
      clock.advance(POLL_MS / options.cookies.length);
      const response = await app.inject({
        method: 'GET',
        url: '/console/grid',
        headers: { cookie, 'if-none-match': etags.get(cookie) ?? '' },
      });
      polls += 1;
      if (response.statusCode === 304) notModified += 1;
      else etags.set(cookie, String(response.headers.etag));
      const headerBytes = Object.entries(response.headers).reduce(
        (sum, [k, v]) => sum + k.length + String(v).length + 4,
        0,
      );
      bytes += response.rawPayload.length + headerBytes;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / polls, bytes: bytes / polls, notModified: notModified / polls };
}

/** First contentful paint of /console in Debian's Chromium, each load in a fresh context signed in through the form. */
async function firstPaint(app: ReturnType<typeof buildApp>, token: string, loads: number): Promise<number[]> {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const paints: number[] = [];
    for (let i = 0; i < loads; i += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${url}/console/sign-in`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${url}/console`);
      // A navigation of its own, so the paint measured is the overview's, not the sign-in form's.
      await page.goto(`${url}/console`, { waitUntil: 'load' });
      // The paint entry can land after `load`: wait for it rather than read it once.
      const fcp = () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
      await page.waitForFunction(fcp, undefined, { timeout: 5_000 });
      paints.push((await page.evaluate(fcp)) ?? Number.NaN);
      await context.close();
    }
    return paints;
  } finally {
    await browser.close();
  }
}

export async function consoleBench(options: ConsoleBenchOptions): Promise<BenchReport> {
  const clock = benchClock();
  const base = await testContext('bench-console', { clock });
  const config = validateConfig({ vantages: VANTAGES, components: [{ id: 'api', name: 'API' }] }, 'bench');
  const ctx = createWebContext(base, { config, secret: 'bench-secret-0123456789' });
  const app = buildApp(ctx);
  try {
    progress(`registering ${options.checks} checks`);
    const ids = Array.from({ length: options.checks }, (_, i) => i);
    for (let from = 0; from < ids.length; from += 500) {
      await Promise.all(
        ids.slice(from, from + 500).map((i) => {
          const input = checkInputSchema.parse({
            id: `check-${String(i).padStart(5, '0')}`,
            component: 'api',
            interval: '30s',
            http: { url: `https://svc-${i}.example.com/health` },
          });
          return ctx.checks.put(resolveCheck(input, config.defaults));
        }),
      );
    }
    const { token } = await ctx.tokens.create(tokenInputSchema.parse({ owner: 'ops', scope: 'admin' }), {
      now: Date.now(),
      createdBy: 'bench',
    });
    const cookie = await signIn(app, token);
    const etag = String((await app.inject({ method: 'GET', url: '/console/grid', headers: { cookie } })).headers.etag);
    const shapes: { name: string; url: string; headers?: Record<string, string>; status: number }[] = [
      { name: 'page /console', url: '/console', status: 200 },
      { name: 'grid fragment, changed (200)', url: '/console/grid', status: 200 },
      { name: 'grid fragment, unchanged (304)', url: '/console/grid', headers: { 'if-none-match': etag }, status: 304 },
      { name: 'grid, text filter over all checks', url: '/console/grid?q=check-0999', status: 200 },
    ];
    const rows: string[][] = [];
    const data: Record<string, unknown> = { options };
    for (const shape of shapes) {
      progress(shape.name);
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < options.renders; i += 1) {
        // Past the console's view cache: each render here reads Redis and renders anew.
        clock.advance(VIEW_TTL_MS);
        const t0 = performance.now();
        const response = await app.inject({ method: 'GET', url: shape.url, headers: { cookie, ...shape.headers } });
        times.push(performance.now() - t0);
        if (response.statusCode !== shape.status) throw new Error(`${shape.name}: ${response.statusCode}`);
        bytes = response.rawPayload.length;
      }
      const p50 = percentile(times, 50);
      const p99 = percentile(times, 99);
      rows.push([shape.name, fmt(p50, 1), fmt(p99, 1), fmt(bytes)]);
      data[shape.name] = { p50Ms: p50, p99Ms: p99, bytes };
    }
    progress('live update cost per connected console');
    const live: string[][] = [];
    const cookies = [cookie];
    for (const consoles of [1, 10, 50]) {
      while (cookies.length < consoles) cookies.push(await signIn(app, token));
      for (const change of [false, true]) {
        const cost = await liveCost(app, ctx, clock, { cookies: cookies.slice(0, consoles), change });
        const label = `${consoles} console${consoles === 1 ? '' : 's'}, ${change ? 'a cell changes every cycle' : 'nothing changes'}`;
        live.push([label, fmt(cost.cpuUs, 0), fmt(cost.bytes, 0), `${fmt(cost.notModified * 100, 0)} %`]);
        data[`live ${label}`] = cost;
      }
    }
    progress('first paint in Chromium');
    const paint = await firstPaint(app, token, options.paints);
    rows.push(['first contentful paint, Chromium', fmt(percentile(paint, 50), 0), fmt(Math.max(...paint), 0), '']);
    data.firstContentfulPaintMs = paint;
    return {
      name: 'console',
      tables: [
        {
          title: `Console overview, ${fmt(options.checks)} checks × ${VANTAGES.length} vantages (${options.renders} renders each, in process)`,
          columns: ['request', 'p50 ms', 'p99 ms', 'bytes'],
          rows,
          notes: [
            'a page is 50 checks; the poll sends If-None-Match and an unchanged grid is a bodiless 304',
            'each request here reads the view anew (the clock moves past the console’s 1 s view cache first)',
            `first paint: ${options.paints} fresh loads of /console on a loopback port (p50, max)`,
          ],
        },
        {
          title: `Live update cost per connected console, ${fmt(options.checks)} checks (${CYCLES} polls of 2 s each per console, simulated clock, in process)`,
          columns: ['polling consoles', 'CPU µs per poll', 'bytes per poll', '304s'],
          rows: live,
          notes: [
            'CPU: this process (web routes, Redis client, inject), user + system, divided by polls; Redis server CPU not included',
            'bytes: body and response headers; consoles of one tenant with the same filters share one view, read at most once a second',
          ],
        },
      ],
      data,
    };
  } finally {
    await app.close();
    await base.cleanup();
  }
}
