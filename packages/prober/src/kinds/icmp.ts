import { isIP } from 'node:net';
import { type IcmpReplies, type IcmpSpec, type Logger, type ProbeOutcome, systemClock, TargetGuard } from '@vigil/core';
import { Fping, type PingRequest } from '../icmp/fping.js';
import { FpingBatcher } from '../icmp/fping-batcher.js';
import { resolveTarget, systemResolver } from '../net/resolve.js';
import { ProbeContext, ProbeTrace, settle } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';
import { CheckGauge } from './check-gauge.js';
import type { KindOutcome, ProberKindModule } from './prober-kind.js';

/** Kept for fping to start and exit within the deadline: a fifth of it, at most half a second. */
const MAX_RESERVE_MS = 500;
/** fping refuses shorter per-host periods from an unprivileged user. */
const MIN_PERIOD_MS = 20;
const MAX_PERIOD_MS = 1_000;
const MIN_REPLY_TIMEOUT_MS = 50;
/** A reply later than this is as good as lost; waiting longer only delays the verdict. */
const MAX_REPLY_TIMEOUT_MS = 5_000;

/**
 * Spreads `count` echo requests over the probe's deadline: the last request's reply window ends before
 * it, so fping reports on its own and the deadline's kill is only the backstop.
 */
export function pingPacing(timeoutMs: number, count: number): Pick<PingRequest, 'periodMs' | 'replyTimeoutMs'> {
  const window = timeoutMs - Math.min(MAX_RESERVE_MS, Math.floor(timeoutMs / 5));
  const periodMs = clamp(Math.floor(window / (count * 2)), MIN_PERIOD_MS, MAX_PERIOD_MS);
  const replyTimeoutMs = clamp(window - (count - 1) * periodMs, MIN_REPLY_TIMEOUT_MS, MAX_REPLY_TIMEOUT_MS);
  return { periodMs, replyTimeoutMs };
}

/**
 * The address to ping: the host resolved and every address vetted by the target guard, then the first
 * one (of the source address's family) pinged — the vetted address, never the name, so a rebinding
 * between the guard and fping cannot point the ping elsewhere.
 */
async function pingAddress(spec: IcmpSpec, ctx: ProbeContext, trace: ProbeTrace): Promise<string> {
  const addresses = await resolveTarget(spec.host, ctx, trace);
  const family = ctx.localAddress === undefined ? 0 : isIP(ctx.localAddress);
  const address = addresses.find((candidate) => family === 0 || isIP(candidate) === family);
  if (address === undefined) {
    throw new ProbeFailure('unreachable', `${spec.host} has no IPv${family} address to reach from ${ctx.localAddress}`);
  }
  return address;
}

/** Loss past the check's limit (or no reply at all) is `icmp_loss`; a slow mean round trip an `assertion`. */
export function judgeReplies(
  replies: IcmpReplies,
  expect: IcmpSpec['expect'],
  address: string,
): { error: 'icmp_loss' | 'assertion'; message: string } | undefined {
  const lost = replies.sent - replies.received;
  const limit = expect.maxLossPercent;
  if (replies.received === 0 || (limit !== undefined && replies.lossPercent > limit)) {
    const allowed = limit === undefined ? 'no reply at all' : `at most ${limit}% allowed`;
    return {
      error: 'icmp_loss',
      message: `${lost} of ${replies.sent} echo requests to ${address} went unanswered (${replies.lossPercent}% loss; ${allowed})`,
    };
  }
  const avg = replies.rttMs?.avg;
  if (expect.maxRttMs !== undefined && avg !== undefined && avg > expect.maxRttMs) {
    return {
      error: 'assertion',
      message: `mean round trip to ${address} was ${avg} ms; expected at most ${expect.maxRttMs} ms`,
    };
  }
  return undefined;
}

/** What pings a vetted address within a probe's deadline: one fping run, or a batch's. */
export interface Pinger {
  ping(request: PingRequest, ctx: ProbeContext): Promise<IcmpReplies>;
}

/** Pings the check's host with `fping`: loss and round trips in the result, judged against `expect`. */
export async function probeIcmp(spec: IcmpSpec, ctx: ProbeContext, pinger: Pinger): Promise<KindOutcome> {
  const trace = new ProbeTrace();
  let replies: IcmpReplies | undefined;
  const outcome = await settle(ctx, trace, async (): Promise<ProbeOutcome> => {
    const address = await pingAddress(spec, ctx, trace);
    trace.remoteAddress = address;
    trace.phase = 'waiting for the reply';
    const request = { address, count: spec.count, ...pingPacing(ctx.timeoutMs, spec.count) };
    replies = await pinger.ping({ ...request, sourceAddress: ctx.localAddress }, ctx);
    const problem = judgeReplies(replies, spec.expect, address);
    return problem ? trace.failure(ctx, problem.error, problem.message) : trace.outcome(ctx);
  });
  return replies === undefined ? outcome : { ...outcome, icmp: replies };
}

/**
 * Says once, at the prober's start, whether it can ping, naming what is missing and how to fix it; its
 * ICMP probes then report `icmp_unavailable`, never a made-up result.
 */
export async function announcePingAvailability(fping: Fping, log: Logger): Promise<void> {
  const ctx = new ProbeContext({
    timeoutMs: 5_000,
    guard: new TargetGuard({ allowPrivateTargets: false, allowTargets: [] }),
    resolve: systemResolver,
    clock: systemClock,
  });
  try {
    const availability = await fping.availability(ctx);
    if (availability.available) log.debug({ command: fping.name }, 'ICMP checks ping with fping');
    else {
      log.warn(
        { command: fping.name, reason: availability.reason, fix: availability.fix },
        `this prober cannot ping: ${availability.reason}; its ICMP checks fail as icmp_unavailable. To fix: ${availability.fix}`,
      );
    }
  } finally {
    ctx.close();
  }
}

/** The ICMP kind pinging with `fping`, a turn's probes batched; tests build one with another PATH or command. */
export function createIcmpProber(fping: Fping): ProberKindModule<IcmpSpec> {
  const batcher = new FpingBatcher(fping);
  return {
    probe: (spec, ctx) => probeIcmp(spec, ctx, batcher),
    preflight: (log) => announcePingAvailability(fping, log),
    createSeries(registers) {
      const stats = ['min', 'avg', 'max'] as const;
      const loss = new CheckGauge({
        name: 'probe_icmp_packet_loss_ratio',
        help: 'Share of the last probe’s echo requests that went unanswered (0 to 1).',
        registers,
      });
      const rtt = new CheckGauge<(typeof stats)[number]>({
        name: 'probe_icmp_rtt_seconds',
        help: 'Round trips of the last probe’s answered echo requests, in seconds (min, avg, max).',
        extra: { name: 'stat', values: stats },
        registers,
      });
      return {
        set(labels, result) {
          if (!result.icmp) return;
          loss.set(labels, result.icmp.lossPercent / 100);
          for (const stat of stats) {
            const value = result.icmp.rttMs?.[stat];
            if (value === undefined) rtt.remove(labels, stat);
            else rtt.set(labels, value / 1000, stat);
          }
        },
        remove(labels) {
          loss.remove(labels);
          rtt.remove(labels);
        },
      };
    },
  };
}

export const icmpProber = createIcmpProber(new Fping());

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
