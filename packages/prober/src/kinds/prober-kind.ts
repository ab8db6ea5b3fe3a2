import type { AddressOutcome, Logger, ProbeOutcome, ProbeResult } from '@vigil/core';
import type { Registry } from 'prom-client';
import type { ProbeContext } from '../probe-context.js';

/** A probe's outcome before the run adds who, where and when; `addresses` when every address was probed. */
export type KindOutcome = ProbeOutcome & { addresses?: AddressOutcome[] };

/** The labels of a check's own series. */
export type CheckLabels = { check: string; vantage: string };

/** A kind's own per-check series (blackbox_exporter's names), beside the ones every kind has. */
export interface KindSeries {
  set(labels: CheckLabels, result: ProbeResult): void;
  remove(labels: CheckLabels): void;
}

/** Everything the prober knows about one check kind: how to probe it and what it adds to `/metrics`. */
export interface ProberKindModule<Spec> {
  /** Settles to an outcome, never rejects for anything the target does; `ctx` owns the deadline and sockets. */
  probe(spec: Spec, ctx: ProbeContext): Promise<KindOutcome>;
  /** Called once per process: registers the kind's series on `registers`. */
  createSeries(registers: Registry[]): KindSeries;
  /** Called once as the prober starts: says (once, in the log) what the kind needs and lacks here. */
  preflight?(log: Logger): Promise<void>;
}

/** Any kind's module, its settings' type left open: what the registry's `satisfies` checks. */
export interface AnyProberKindModule {
  probe(spec: never, ctx: ProbeContext): Promise<KindOutcome>;
  createSeries(registers: Registry[]): KindSeries;
  preflight?(log: Logger): Promise<void>;
}

/** A kind without series of its own. */
export const NO_SERIES: KindSeries = { set() {}, remove() {} };
