import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Clock, ProbeErrorClass, ProbeOutcome, TargetGuard, Timings } from '@vigil/core';
import { classifyError } from './probe-errors.js';

/** Something a probe opened and must close at the deadline: a socket, an undici client. */
export interface Disposable {
  destroy(): unknown;
}

/** What the probe was doing, named in the message when the deadline cuts it off. */
export type ProbePhase =
  | 'starting'
  | 'resolving the name'
  | 'connecting'
  | 'in the TLS handshake'
  | 'sending the request'
  | 'waiting for response headers'
  | 'reading the body'
  | 'waiting for the reply';

export interface ProbeContextOptions {
  timeoutMs: number;
  guard: TargetGuard;
  /** Host name to addresses (a `HostResolver`). */
  resolve: (host: string) => Promise<string[]>;
  clock: Clock;
  localAddress?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Listeners the users of a probe's signal may put on it: a probe of 64 addresses may add a few each. */
const MAX_SIGNAL_LISTENERS = 1_000;

class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * One probe's deadline and everything it opened. At the deadline every tracked socket and client is
 * destroyed and whatever waits in `untilAborted` is rejected, so no target can hold a probe (or its
 * memory) past `timeoutMs`.
 */
export class ProbeContext {
  readonly timeoutMs: number;
  readonly guard: TargetGuard;
  readonly resolve: (host: string) => Promise<string[]>;
  readonly clock: Clock;
  readonly localAddress: string | undefined;
  /** Made on first use of `signal`: an HTTP probe needs none (see `signal`). */
  private controller: AbortController | undefined;
  /** Why the probe was aborted (a `DeadlineExceeded` at the deadline); `undefined` until then. */
  private reason: unknown;
  private isAborted = false;
  /** What `untilAborted` waits on: plain callbacks, not listeners of an AbortSignal. */
  private readonly waiting = new Set<() => void>();
  private readonly resources = new Set<Disposable>();
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(options: ProbeContextOptions) {
    this.timeoutMs = options.timeoutMs;
    this.guard = options.guard;
    this.resolve = options.resolve;
    this.clock = options.clock;
    this.localAddress = options.localAddress;
    this.timer = setTimeout(() => this.abort(new DeadlineExceeded()), options.timeoutMs);
    this.detach = this.follow(options.signal);
  }

  /**
   * Aborts at the deadline or when the caller cancels, for APIs that take a signal. Made on first
   * use: on Node 20 an AbortSignal and a few listeners on it cost ~20 µs, a tenth of an HTTP probe,
   * and what a probe opened is destroyed at the deadline without one.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      setMaxListeners(MAX_SIGNAL_LISTENERS, this.controller.signal);
      if (this.isAborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** True once the probe was aborted: its deadline passed or the caller cancelled it. */
  get aborted(): boolean {
    return this.isAborted;
  }

  /** True once the probe's own deadline passed (not when the caller cancelled it). */
  get timedOut(): boolean {
    return this.reason instanceof DeadlineExceeded;
  }

  /** Milliseconds since the probe started, on the monotonic clock. */
  elapsed(since = this.startedAt): number {
    return Math.round((performance.now() - since) * 100) / 100;
  }

  now(): number {
    return performance.now();
  }

  /** Registers something to destroy at the deadline or at `close`; destroys it at once if already late. */
  track<T extends Disposable>(resource: T): T {
    if (this.isAborted) resource.destroy();
    else this.resources.add(resource);
    return resource;
  }

  /** Destroys a resource now, before the probe ends. */
  release(resource: Disposable): void {
    this.resources.delete(resource);
    resource.destroy();
  }

  /**
   * Hands a resource's teardown to its new owner (a TLS socket owns the TCP socket it wraps). Node 20
   * crashes when a wrapped socket is destroyed before its TLS socket, so only the owner is tracked.
   */
  transfer(from: Disposable, to: Disposable): void {
    this.resources.delete(from);
    this.track(to);
  }

  /** Ends the probe: stops the deadline timer and destroys whatever is still open. Idempotent. */
  close(): void {
    clearTimeout(this.timer);
    this.detach();
    this.destroyAll();
  }

  /** Settles with `work`, or rejects as soon as the probe is aborted, whichever comes first. */
  untilAborted<T>(work: Promise<T>): Promise<T> {
    if (this.isAborted) {
      work.catch(() => {});
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.reason);
      this.waiting.add(onAbort);
      work.then(
        (value) => {
          this.waiting.delete(onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(onAbort);
          reject(error);
        },
      );
    });
  }

  /** Aborts with the caller's signal; returns how to stop listening, as a caller's signal outlives probes. */
  private follow(outer: AbortSignal | undefined): () => void {
    if (!outer) return () => {};
    const onAbort = () => this.abort(outer.reason);
    if (outer.aborted) onAbort();
    outer.addEventListener('abort', onAbort, { once: true });
    return () => outer.removeEventListener('abort', onAbort);
  }

  /** Aborts the probe: the signal (if made), whatever waits in `untilAborted`, then everything tracked. */
  private abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const onAbort of waiting) onAbort();
    this.destroyAll();
  }

  /** Newest first: an HTTP client before the socket it was handed. */
  private destroyAll(): void {
    const resources = [...this.resources].reverse();
    this.resources.clear();
    for (const resource of resources) resource.destroy();
  }
}

type PhaseTimings = Omit<Timings, 'total'>;

/** What one probe (or one address of it) has learned so far, kept so a failure still reports it. */
export class ProbeTrace {
  phase: ProbePhase = 'starting';
  timings: PhaseTimings = {};
  remoteAddress: string | undefined;
  certExpiresAt: number | undefined;
  status: number | undefined;

  /** Forgets the previous hop: after a redirect, timings and peer are the final hop's. */
  beginHop(): void {
    this.timings = {};
    this.remoteAddress = undefined;
    this.certExpiresAt = undefined;
    this.status = undefined;
  }

  outcome(ctx: ProbeContext): ProbeOutcome {
    return { ok: true, ...this.facts(ctx) };
  }

  failure(ctx: ProbeContext, error: ProbeErrorClass, message: string): ProbeOutcome {
    return { ok: false, error, message, ...this.facts(ctx) };
  }

  /** Written field by field: every probe ends here, and conditional spreads allocate an object each. */
  private facts(ctx: ProbeContext): Pick<ProbeOutcome, 'timings' | 'status' | 'remoteAddress' | 'certExpiresAt'> {
    const facts: Pick<ProbeOutcome, 'timings' | 'status' | 'remoteAddress' | 'certExpiresAt'> = {
      timings: { ...this.timings, total: ctx.elapsed() },
    };
    if (this.status !== undefined) facts.status = this.status;
    if (this.remoteAddress !== undefined) facts.remoteAddress = this.remoteAddress;
    if (this.certExpiresAt !== undefined) facts.certExpiresAt = this.certExpiresAt;
    return facts;
  }
}

/**
 * Runs one probe unit to an outcome: whatever it throws, and the deadline cutting it off, become a
 * failed outcome carrying what the trace learned before. Never rejects.
 */
export async function settle(
  ctx: ProbeContext,
  trace: ProbeTrace,
  work: () => Promise<ProbeOutcome>,
): Promise<ProbeOutcome> {
  try {
    return await ctx.untilAborted(work());
  } catch (error) {
    return failedOutcome(ctx, trace, error);
  }
}

/** A failure as the probe reports it: the deadline (with its phase) first, then the error's class. */
export function failedOutcome(ctx: ProbeContext, trace: ProbeTrace, error: unknown): ProbeOutcome {
  if (ctx.timedOut) {
    return trace.failure(ctx, 'timeout', `no answer within ${ctx.timeoutMs}ms (timed out ${trace.phase})`);
  }
  if (ctx.aborted) return trace.failure(ctx, 'internal', 'the probe was cancelled before it finished');
  const classified = classifyError(error);
  return trace.failure(ctx, classified.error, classified.message);
}

/**
 * The verdict once the exchange itself passed: `cert_expiry` when the certificate expires within
 * `certDaysLeft` days (of the injected clock), else ok, marked slow past `maxMs`.
 */
export function finalVerdict(
  ctx: ProbeContext,
  trace: ProbeTrace,
  expect: { certDaysLeft?: number | undefined; maxMs?: number | undefined },
): ProbeOutcome {
  const expiresAt = trace.certExpiresAt;
  if (expect.certDaysLeft !== undefined && expiresAt !== undefined) {
    const days = Math.floor((expiresAt - ctx.clock.now()) / 86_400_000);
    if (days < expect.certDaysLeft) {
      const when = days < 0 ? `expired on` : `expires in ${days} days, on`;
      const message = `the certificate ${when} ${new Date(expiresAt).toISOString()}; expected at least ${expect.certDaysLeft} days left`;
      return trace.failure(ctx, 'cert_expiry', message);
    }
  }
  const outcome = trace.outcome(ctx);
  return expect.maxMs !== undefined && outcome.timings.total > expect.maxMs ? { ...outcome, slow: true } : outcome;
}
