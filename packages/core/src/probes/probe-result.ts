import { z } from 'zod';

/** Why a probe failed, by class; each maps to stable error codes, never to message text. */
export const PROBE_ERRORS = [
  'dns',
  'connect_refused',
  'unreachable',
  'reset',
  'timeout',
  'tls',
  'cert_expiry',
  'http_status',
  'assertion',
  'body_too_large',
  'too_many_redirects',
  'protocol',
  'blocked_target',
  'internal',
  // New classes go last: a stored history entry names its class by index in this list.
  /** DNS: the name does not exist (rcode NXDOMAIN). */
  'nxdomain',
  /** DNS: the resolver failed to answer (rcode SERVFAIL). */
  'servfail',
  /** DNS: the resolver refused the question (rcode REFUSED). */
  'dns_refused',
  /** ICMP: more echo requests went unanswered than the check allows. */
  'icmp_loss',
  /** ICMP: this prober cannot ping (no `fping`, or not permitted to open an ICMP socket). */
  'icmp_unavailable',
  /** Heartbeat: no successful ping by the time one was due (interval or schedule, and the grace). */
  'missed',
  /** Heartbeat: the job said it failed (`/fail`, or a non-zero exit code). */
  'job_failed',
] as const;
export type ProbeErrorClass = (typeof PROBE_ERRORS)[number];

/** Phase timings in milliseconds; a phase that did not happen is absent. */
export const timingsSchema = z.object({
  dns: z.number().nonnegative().optional(),
  connect: z.number().nonnegative().optional(),
  tls: z.number().nonnegative().optional(),
  firstByte: z.number().nonnegative().optional(),
  total: z.number().nonnegative(),
});
export type Timings = z.output<typeof timingsSchema>;

/** The longest record text a result carries; the prober judges the full text, then cuts it to this. */
export const DNS_ANSWER_MAX_CHARS = 512;

/** What a DNS probe was told: the response code, the records of the asked type as text (sorted), their smallest TTL. */
export const dnsAnswerSchema = z.object({
  rcode: z.string().max(16),
  answers: z.array(z.string().max(DNS_ANSWER_MAX_CHARS)).max(64),
  minTtl: z.int().nonnegative().optional(),
  /** `tcp` when the UDP answer came truncated and the question was asked again over TCP. */
  transport: z.enum(['udp', 'tcp']),
});
export type DnsAnswer = z.output<typeof dnsAnswerSchema>;

/** What an ICMP probe saw: echo requests sent and answered, and round trips of the answered ones (ms). */
export const icmpRepliesSchema = z.object({
  sent: z.int().nonnegative(),
  received: z.int().nonnegative(),
  lossPercent: z.number().min(0).max(100),
  /** Absent when nothing answered. */
  rttMs: z
    .object({ min: z.number().nonnegative(), avg: z.number().nonnegative(), max: z.number().nonnegative() })
    .optional(),
});
export type IcmpReplies = z.output<typeof icmpRepliesSchema>;

const outcomeShape = {
  ok: z.boolean(),
  error: z.enum(PROBE_ERRORS).optional(),
  message: z.string().max(2000).optional(),
  status: z.int().optional(),
  remoteAddress: z.string().max(64).optional(),
  timings: timingsSchema,
  /** Epoch ms at which the leaf certificate expires. */
  certExpiresAt: z.number().optional(),
  /** Slower than the check's `maxMs`: still up, but degraded. */
  slow: z.boolean().optional(),
  /** A DNS check's answer, kept on failures too: vantages told different things show it here. */
  dns: dnsAnswerSchema.optional(),
  /** An ICMP check's replies, kept on failures too: loss and round trips per vantage. */
  icmp: icmpRepliesSchema.optional(),
};

/** The outcome of one probe against one address. */
export const probeOutcomeSchema = z.object(outcomeShape);
export type ProbeOutcome = z.output<typeof probeOutcomeSchema>;

/** One probe of one check from one vantage in one round; `addresses` when every address was probed. */
export const probeResultSchema = z.object({
  checkId: z.string().min(1).max(63),
  vantage: z.string().min(1).max(63),
  /** The round's scheduled time (epoch ms): every vantage probing it shares it. */
  round: z.int().nonnegative(),
  /** When the probe started and finished (epoch ms). */
  startedAt: z.number(),
  finishedAt: z.number(),
  ...outcomeShape,
  addresses: z
    .array(probeOutcomeSchema.extend({ address: z.string().max(64) }))
    .max(64)
    .optional(),
});
export type ProbeResult = z.output<typeof probeResultSchema>;
export type AddressOutcome = NonNullable<ProbeResult['addresses']>[number];
