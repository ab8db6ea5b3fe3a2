import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CheckGauge } from './check-gauge.js';

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
