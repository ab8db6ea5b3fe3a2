import { spawnSync } from 'node:child_process';
import {
  dnsSpecSchema,
  httpSpecSchema,
  icmpSpecSchema,
  type ProbeJobData,
  type ProberSettings,
  type ProbeTarget,
  probeQueueName,
  processMetrics,
} from '@vigil/core';
import { eventually, freePort, type TestContext, testContext } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../dns/dns-test-server.js';
import { httpPhaseSeconds } from '../kinds/http.js';
import { createProberContext } from '../prober-context.js';
import { selfSignedCertificate, startHttpServer, startHttpsServer, type TestServer } from '../test-servers.js';
import { ProbeMetrics } from './probe-metrics.js';
import { ProbeWorker } from './probe-worker.js';

const VANTAGE = 'metrics-alpha';

/** One series' value from the exposition text, or undefined when it is absent. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of (await processMetrics().metrics()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = match[2] ? match[2].split(',') : [];
    if (wanted.every((pair) => have.includes(pair)) && have.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

function httpTarget(id: string, url: string, extra: Record<string, unknown> = {}): ProbeTarget {
  return { id, kind: 'http', http: httpSpecSchema.parse({ url, ...extra }), intervalMs: 30_000, timeoutMs: 2_000 };
}

describe('probe metrics', () => {
  let base: TestContext;
  let ok: TestServer;
  let secure: TestServer;
  let certExpiry: number;
  let queue: Queue<ProbeJobData>;
  const workers: ProbeWorker[] = [];

  beforeAll(async () => {
    base = await testContext('probe-metrics');
    ok = await startHttpServer((_req, res) => res.writeHead(204).end());
    const pair = await selfSignedCertificate(30);
    certExpiry = Math.floor(pair.notAfter.getTime() / 1000);
    secure = await startHttpsServer((_req, res) => res.writeHead(200).end('fine'), pair);
    queue = new Queue(probeQueueName(VANTAGE), { connection: base.redis, prefix: base.prefix });
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await queue.close();
    await Promise.all([ok.close(), secure.close()]);
    await base.cleanup();
  });

  /** Runs one prober with these metrics settings over the checks, until each has reported. */
  async function probe(checks: ProbeTarget[], metrics?: ProberSettings['metrics']): Promise<void> {
    const prober = { concurrency: 10, perHostConcurrency: 10, ...(metrics && { metrics }) };
    const worker = new ProbeWorker(
      createProberContext(base.peer(), {
        vantage: { id: VANTAGE },
        config: { allowPrivateTargets: true, allowTargets: [], prober },
      }),
    );
    workers.push(worker);
    await worker.start();
    const round = Date.now();
    const jobs = await queue.addBulk(
      checks.map((check) => ({ name: 'probe', data: { check, vantage: VANTAGE, round } })),
    );
    await Promise.all(jobs.map((job) => eventually(() => job.isCompleted())));
    await worker.close();
  }

  it('sets blackbox-named series per check and vantage for a probe that succeeds', async () => {
    await probe([httpTarget('up', `http://127.0.0.1:${ok.port}/`)]);
    const labels = { check: 'up', vantage: VANTAGE };
    expect(await sample('probe_success', labels)).toBe(1);
    expect(await sample('probe_http_status_code', labels)).toBe(204);
    expect(await sample('probe_duration_seconds', labels)).toBeGreaterThan(0);
    expect(await sample('probe_http_duration_seconds', { ...labels, phase: 'connect' })).toBeGreaterThan(0);
    for (const phase of ['resolve', 'tls', 'processing', 'transfer'])
      expect(await sample('probe_http_duration_seconds', { ...labels, phase })).toBeGreaterThanOrEqual(0);
    expect(await sample('probe_ssl_earliest_cert_expiry', labels)).toBeUndefined();
    expect(await sample('vigil_probes_total', { vantage: VANTAGE, result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(await sample('vigil_probe_start_lateness_seconds_count', { vantage: VANTAGE })).toBeGreaterThanOrEqual(1);
  });

  it('reports 0 for a failing target and the expiry of a certificate it saw', async () => {
    await probe([
      httpTarget('down', `http://127.0.0.1:${await freePort()}/`),
      httpTarget('tls', `https://127.0.0.1:${secure.port}/`, { insecureTls: true }),
    ]);
    expect(await sample('probe_success', { check: 'down', vantage: VANTAGE })).toBe(0);
    expect(await sample('probe_http_status_code', { check: 'down', vantage: VANTAGE })).toBe(0);
    expect(await sample('vigil_probes_total', { vantage: VANTAGE, result: 'fail' })).toBeGreaterThanOrEqual(1);
    expect(await sample('probe_success', { check: 'tls', vantage: VANTAGE })).toBe(1);
    expect(await sample('probe_ssl_earliest_cert_expiry', { check: 'tls', vantage: VANTAGE })).toBe(certExpiry);
    expect(
      await sample('probe_http_duration_seconds', { check: 'tls', vantage: VANTAGE, phase: 'tls' }),
    ).toBeGreaterThan(0);
  });

  it('sets the DNS kind’s own series (lookup time, answer records), and no HTTP ones, for a DNS check', async () => {
    const dns = await startDnsServer((question) => ({
      answers: ['192.0.2.1', '192.0.2.2'].map((data) => ({
        type: 'A' as const,
        name: question?.name ?? '',
        ttl: 60,
        data,
      })),
    }));
    try {
      const spec = dnsSpecSchema.parse({ name: 'www.example.test', server: `127.0.0.1:${dns.port}` });
      await probe([{ id: 'resolver', kind: 'dns', dns: spec, intervalMs: 30_000, timeoutMs: 2_000 }]);
    } finally {
      await dns.close();
    }
    const labels = { check: 'resolver', vantage: VANTAGE };
    expect(await sample('probe_success', labels)).toBe(1);
    expect(await sample('probe_dns_answer_rrs', labels)).toBe(2);
    expect(await sample('probe_dns_lookup_time_seconds', labels)).toBeGreaterThan(0);
    expect(await sample('probe_http_status_code', labels)).toBeUndefined();
  });

  it('sets the ICMP kind’s own series (loss ratio, round trips), and no HTTP ones, for an ICMP check', async () => {
    const spec = icmpSpecSchema.parse({ host: '127.0.0.1', count: 2 });
    await probe([{ id: 'lb-icmp', kind: 'icmp', icmp: spec, intervalMs: 30_000, timeoutMs: 1_000 }]);
    const labels = { check: 'lb-icmp', vantage: VANTAGE };
    expect(await sample('probe_success', labels)).toBe(1);
    expect(await sample('probe_icmp_packet_loss_ratio', labels)).toBe(0);
    for (const stat of ['min', 'avg', 'max']) {
      expect(await sample('probe_icmp_rtt_seconds', { ...labels, stat })).toBeGreaterThan(0);
    }
    expect(await sample('probe_http_status_code', labels)).toBeUndefined();
  });

  it("sweeps away a check's series once it has not reported for long enough", async () => {
    new ProbeMetrics(VANTAGE, undefined).sweep(Date.now() + 11 * 60_000);
    expect(await sample('probe_success', { check: 'up', vantage: VANTAGE })).toBeUndefined();
    expect(
      await sample('probe_http_duration_seconds', { check: 'up', vantage: VANTAGE, phase: 'connect' }),
    ).toBeUndefined();
    // Each kind's own series go too.
    expect(await sample('probe_dns_answer_rrs', { check: 'resolver', vantage: VANTAGE })).toBeUndefined();
    expect(await sample('probe_icmp_packet_loss_ratio', { check: 'lb-icmp', vantage: VANTAGE })).toBeUndefined();
  });

  it('creates no per-check series beyond maxChecks, and counts what it left out', async () => {
    const dropped = (await sample('vigil_metrics_series_dropped_total', {})) ?? 0;
    const url = `http://127.0.0.1:${ok.port}/`;
    await probe(
      ['cap-1', 'cap-2', 'cap-3', 'cap-4'].map((id) => httpTarget(id, url)),
      { perCheck: true, maxChecks: 2 },
    );
    const text = await processMetrics().metrics();
    const capped = new Set(text.match(/^probe_success\{check="cap-\d"/gm));
    expect(capped.size).toBe(2);
    expect(await sample('vigil_metrics_series_dropped_total', {})).toBe(dropped + 2);
  });

  it('keeps only fleet metrics when per-check series are turned off', async () => {
    await probe([httpTarget('unlabelled', `http://127.0.0.1:${ok.port}/`)], { perCheck: false, maxChecks: 10 });
    expect(await sample('probe_success', { check: 'unlabelled', vantage: VANTAGE })).toBeUndefined();
  });

  it('exposes text that promtool accepts', async () => {
    const text = await processMetrics().metrics();
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('httpPhaseSeconds', () => {
  it("maps Vigil's timings onto blackbox_exporter's phases, transfer taking what the total leaves", () => {
    expect(httpPhaseSeconds({ dns: 10, connect: 20, tls: 30, firstByte: 40, total: 150 })).toEqual({
      resolve: 0.01,
      connect: 0.02,
      tls: 0.03,
      processing: 0.04,
      transfer: 0.05,
    });
    expect(httpPhaseSeconds({ connect: 5, total: 3 })).toMatchObject({ resolve: 0, transfer: 0 });
  });
});
