import type { HttpSpec, ProbeResult } from '@vigil/core';
import { probeHttp } from '../http/http-probe.js';
import { CheckGauge } from './check-gauge.js';
import type { ProberKindModule } from './prober-kind.js';

const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
type Phase = (typeof PHASES)[number];

/**
 * blackbox_exporter's phases from Vigil's timings (ms, of the last hop). Transfer is what the total
 * leaves over: reading the body, judging it, and any earlier redirect hops.
 */
export function httpPhaseSeconds(timings: ProbeResult['timings']): Record<Phase, number> {
  const { dns = 0, connect = 0, tls = 0, firstByte = 0, total } = timings;
  const transfer = Math.max(0, total - dns - connect - tls - firstByte);
  return {
    resolve: dns / 1000,
    connect: connect / 1000,
    tls: tls / 1000,
    processing: firstByte / 1000,
    transfer: transfer / 1000,
  };
}

export const httpProber = {
  probe: probeHttp,
  createSeries(registers) {
    const status = new CheckGauge({
      name: 'probe_http_status_code',
      help: 'HTTP status of the last response; 0 when none came.',
      registers,
    });
    const phases = new CheckGauge<Phase>({
      name: 'probe_http_duration_seconds',
      help: 'Duration of each phase of the last HTTP probe, in seconds.',
      registers,
      extra: { name: 'phase', values: PHASES },
    });
    return {
      set(labels, result) {
        status.set(labels, result.status ?? 0);
        const seconds = httpPhaseSeconds(result.timings);
        for (const phase of PHASES) phases.set(labels, seconds[phase], phase);
      },
      remove(labels) {
        status.remove(labels);
        phases.remove(labels);
      },
    };
  },
} satisfies ProberKindModule<HttpSpec>;
