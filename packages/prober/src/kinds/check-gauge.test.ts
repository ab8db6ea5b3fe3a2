import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createLogger, expositionPieces, processMetrics, RoleServer, writePieces } from '@vigil/core';
import { Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CheckGauge } from './check-gauge.js';

/** What a scrape through RoleServer writes for the registry, and the number of writes it took. */
async function streamed(registry: Registry): Promise<{ text: string; writes: number }> {
  const chunks: string[] = [];
  const out = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writePieces(out, await expositionPieces(registry));
  return { text: chunks.join(''), writes: chunks.length };
}

const PHASES = ['connect', 'tls'] as const;

describe('CheckGauge', () => {
  it("writes the same exposition text as prom-client's Gauge for the same series", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const status = new CheckGauge({ name: 'probe_status', help: 'Status.', registers: [ours] });
    const phases = new CheckGauge({
      name: 'probe_phase_seconds',
      help: 'Phases.',
      registers: [ours],
      extra: { name: 'phase', values: PHASES },
    });
    const statusGauge = new Gauge({
      name: 'probe_status',
      help: 'Status.',
      labelNames: ['check', 'vantage'],
      registers: [theirs],
    });
    const phaseGauge = new Gauge({
      name: 'probe_phase_seconds',
      help: 'Phases.',
      labelNames: ['check', 'vantage', 'phase'],
      registers: [theirs],
    });
    for (const check of ['api', 'web']) {
      const labels = { check, vantage: 'eu-west' };
      status.set(labels, 200);
      statusGauge.set(labels, 200);
      for (const [i, phase] of PHASES.entries()) {
        phases.set(labels, 0.001 * (i + 1), phase);
        phaseGauge.set({ ...labels, phase }, 0.001 * (i + 1));
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("streams, in bounded pieces, the same text as prom-client's registry writes", async () => {
    const registry = new Registry();
    const status = new CheckGauge({
      name: 'probe_status',
      help: 'Status \\ of "it".\nSecond line.',
      registers: [registry],
    });
    new Gauge({ name: 'between', help: 'A family of prom-client between two of ours.', registers: [registry] }).set(
      NaN,
    );
    const phases = new CheckGauge({
      name: 'probe_phase_seconds',
      help: 'Phases.',
      registers: [registry],
      extra: { name: 'phase', values: PHASES },
    });
    new CheckGauge({ name: 'probe_empty', help: 'No series.', registers: [registry] });
    const histogram = new Histogram({ name: 'lateness', help: 'h', labelNames: ['vantage'], registers: [registry] });
    histogram.observe({ vantage: 'a"b' }, 0.3);
    for (let i = 0; i < 5_000; i++) {
      const labels = { check: i === 7 ? 'odd\\"check\n' : `check-${i}`, vantage: i % 3 === 0 ? 'us-east' : 'eu-west' };
      status.set(labels, i % 5 === 0 ? Number.POSITIVE_INFINITY : 200 + (i % 3));
      if (i % 4 !== 0) phases.set(labels, i / 7, 'connect');
      phases.set(labels, -i / 3, 'tls');
    }
    const { text, writes } = await streamed(registry);
    expect(text).toBe(await registry.metrics());
    expect(text.length).toBeGreaterThan(600_000);
    // A write is about 64 KB: the text is never built whole.
    expect(writes).toBeGreaterThan(text.length / (128 * 1024));
  });

  it('is scraped through a role server as promtool reads it, as prom-client would write it', async () => {
    const registers = [processMetrics()];
    const status = new CheckGauge({ name: 'probe_test_status_code', help: 'Status.', registers });
    const phases = new CheckGauge({
      name: 'probe_test_duration_seconds',
      help: 'Phases.',
      registers,
      extra: { name: 'phase', values: PHASES },
    });
    const server = new RoleServer({
      port: 0,
      redis: { ping: async () => 'PONG' },
      log: createLogger({ level: 'silent' }),
    });
    try {
      for (let i = 0; i < 20_000; i++) {
        const labels = { check: `check-${i}`, vantage: 'eu-west' };
        status.set(labels, 200);
        phases.set(labels, i / 1000, 'connect');
        phases.set(labels, i / 500, 'tls');
      }
      const text = await (await fetch(`${await server.listen()}/metrics`)).text();
      const ours = (exposition: string) => exposition.split('\n').filter((line) => line.includes('probe_test_'));
      expect(ours(text)).toHaveLength(4 + 3 * 20_000);
      expect(ours(text)).toEqual(ours(await processMetrics().metrics()));
      const promtool = promisify(execFile)('promtool', ['check', 'metrics'], { maxBuffer: 16 * 1024 * 1024 });
      promtool.child.stdin?.end(text);
      await expect(promtool).resolves.toBeDefined();
    } finally {
      await server.close();
      for (const name of ['probe_test_status_code', 'probe_test_duration_seconds'])
        processMetrics().removeSingleMetric(name);
    }
  });

  it('leaves out a check removed during a scrape, and writes none twice', async () => {
    const registry = new Registry();
    const status = new CheckGauge({ name: 'probe_status', help: 'Status.', registers: [registry] });
    for (let i = 0; i < 3_000; i++) status.set({ check: `c${i}`, vantage: 'v' }, 1);
    const pieces = status.expositionPieces();
    const first = pieces.next().value ?? '';
    status.remove({ check: 'c2999', vantage: 'v' });
    status.remove({ check: 'c0', vantage: 'v' });
    status.set({ check: 'c0', vantage: 'v' }, 2);
    status.set({ check: 'new', vantage: 'v' }, 3);
    const text = first + [...pieces].join('');
    expect(text).not.toContain('c2999"');
    expect(text.match(/check="c0"/g)).toHaveLength(1);
    expect(text).not.toContain('check="new"');
  });

  it('removes one series of the extra label, or all of a check', async () => {
    const registry = new Registry();
    const rtt = new CheckGauge({
      name: 'probe_rtt_seconds',
      help: 'Round trips.',
      registers: [registry],
      extra: { name: 'stat', values: ['min', 'max'] },
    });
    const labels = { check: 'lb', vantage: 'us-east' };
    rtt.set(labels, 0.1, 'min');
    rtt.set(labels, 0.3, 'max');
    rtt.remove(labels, 'min');
    expect(await registry.metrics()).toContain('probe_rtt_seconds{check="lb",vantage="us-east",stat="max"} 0.3');
    expect(await registry.metrics()).not.toContain('stat="min"');
    rtt.remove(labels);
    expect((await rtt.get()).values).toEqual([]);
  });

  it('refuses a value of the extra label it does not know', () => {
    const gauge = new CheckGauge({ name: 'g', help: 'g', registers: [], extra: { name: 'phase', values: PHASES } });
    expect(() => gauge.set({ check: 'a', vantage: 'b' }, 1, 'dns' as 'tls')).toThrow(/phase="dns"/);
  });
});
