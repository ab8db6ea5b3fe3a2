import { type Clock, type ProbeResult, type ProbeTarget, systemClock, type TargetGuard } from '@vigil/core';
import type { KindOutcome } from './kinds/prober-kind.js';
import { probeKind } from './kinds/registry.js';
import { type HostResolver, systemResolver } from './net/resolve.js';
import { ProbeContext } from './probe-context.js';
import { classifyError } from './probe-errors.js';

const MAX_MESSAGE_CHARS = 2000;

/** Where, when and under which rules a probe runs; the target itself comes from the job. */
export interface ProbeOptions {
  vantage: string;
  /** The round's scheduled time (epoch ms), shared by every vantage probing it. */
  round: number;
  guard: TargetGuard;
  /** The vantage's source address: probes leave from it. */
  localAddress?: string | undefined;
  clock?: Clock | undefined;
  /** Cancels the probe (shutdown); the result is then `internal`, not `timeout`. */
  signal?: AbortSignal | undefined;
  /** Replaces the system resolver: fixed answers in tests, split-horizon DNS in odd deployments. */
  resolve?: HostResolver | undefined;
}

/**
 * Probes a check once and returns what happened as data. One deadline (`timeoutMs`) bounds the whole
 * probe, whatever the target does, and tears down everything it opened; nothing a target can do makes
 * this throw, and a bug in the prober comes back as an `internal` result rather than an exception.
 */
export async function runProbe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const ctx = new ProbeContext({
    timeoutMs: target.timeoutMs,
    guard: options.guard,
    resolve: options.resolve ?? systemResolver,
    clock,
    localAddress: options.localAddress,
    signal: options.signal,
  });
  let outcome: KindOutcome;
  try {
    outcome = await probeKind(target, ctx);
  } catch (error) {
    // Every target-caused failure is settled inside the probe; what reaches here is a prober bug.
    outcome = {
      ok: false,
      error: 'internal',
      message: classifyError(error).message,
      timings: { total: ctx.elapsed() },
    };
  } finally {
    ctx.close();
  }
  const message = outcome.message?.slice(0, MAX_MESSAGE_CHARS);
  return {
    checkId: target.id,
    vantage: options.vantage,
    round: options.round,
    startedAt,
    finishedAt: clock.now(),
    ...outcome,
    ...(message !== undefined && { message }),
  };
}
