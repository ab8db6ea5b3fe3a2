import { type KindSettings, kindSettingsOf, type ProbedCheckKind } from '@vigil/core';
import type { Registry } from 'prom-client';
import type { ProbeContext } from '../probe-context.js';
import { dnsProber } from './dns.js';
import { httpProber } from './http.js';
import { icmpProber } from './icmp.js';
import type { AnyProberKindModule, KindOutcome, KindSeries } from './prober-kind.js';
import { tcpProber } from './tcp.js';

/**
 * The probe of each kind core knows (blackbox_exporter's `Probers` map): a probed kind in `CHECK_KINDS`
 * without its entry here does not compile; a kind whose core module says `probed: false` has none.
 */
export const proberKinds = {
  http: httpProber,
  tcp: tcpProber,
  dns: dnsProber,
  icmp: icmpProber,
} satisfies Record<ProbedCheckKind, AnyProberKindModule>;

interface ErasedProberKind {
  probe(spec: unknown, ctx: ProbeContext): Promise<KindOutcome>;
  createSeries(registers: Registry[]): KindSeries;
}

/** Probes a check's kind settings with its kind's module. */
export function probeKind(target: KindSettings, ctx: ProbeContext): Promise<KindOutcome> {
  // The map pairs each kind with its module, so a target's settings always fit the module of its kind.
  // The scheduler gives unprobed kinds no slots, so a target is always of a probed kind.
  const { kind, spec } = kindSettingsOf(target);
  return (proberKinds[kind as ProbedCheckKind] as unknown as ErasedProberKind).probe(spec, ctx);
}

/** Every kind's own series, created once per process. */
export function createKindSeries(registers: Registry[]): Record<ProbedCheckKind, KindSeries> {
  const entries = Object.entries(proberKinds).map(([kind, module]) => [kind, module.createSeries(registers)]);
  return Object.fromEntries(entries) as Record<ProbedCheckKind, KindSeries>;
}
