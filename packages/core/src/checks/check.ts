import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DAY_MS, durationSchema, formatDuration } from '../config/duration.js';
import { bodyPatternProblem } from './body-pattern.js';

/** Identifiers of checks, components, vantages: safe in Redis keys, queue names and URLs. */
export const slugSchema = z
  .string({ error: 'expected a slug (lowercase letters, digits and -)' })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'expected a slug: lowercase letters, digits and -, 1 to 63 characters, not starting or ending with -',
  });

/** `200`, `200-299` or `2xx`; parsed into an inclusive range. */
export const statusRangeSchema = z
  .union([z.number(), z.string()], { error: 'expected a status like 200, "200-299" or "2xx"' })
  .transform((raw, ctx) => {
    const text = String(raw).trim();
    let match = /^([1-5])xx$/i.exec(text);
    if (match) {
      const hundred = Number(match[1]) * 100;
      return { min: hundred, max: hundred + 99 };
    }
    match = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
    const min = Number(match?.[1]);
    const max = Number(match?.[2] ?? match?.[1]);
    if (!match || min < 100 || max > 599 || min > max) {
      ctx.addIssue({ code: 'custom', message: 'expected a status like 200, "200-299" or "2xx" (100 to 599)' });
      return z.NEVER;
    }
    return { min, max };
  });
export type StatusRange = z.output<typeof statusRangeSchema>;

const regexSource = z.string().superRefine((source, ctx) => {
  const problem = bodyPatternProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const jsonExpectSchema = z.strictObject({
  /** `$.status`, `$.items[0].state`, `$["weird key"]` */
  path: z.string().regex(/^\$(?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\["[^"]*"\])*$/, {
    error: 'expected a JSON path like $.status or $.items[0].state',
  }),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});

export const httpExpectSchema = z.strictObject({
  status: z.array(statusRangeSchema).min(1).prefault(['200-399']),
  bodyContains: z.string().min(1).optional(),
  bodyRegex: regexSource.optional(),
  json: jsonExpectSchema.optional(),
  /** Slower than this is reported `slow` (degraded), not failed. */
  maxMs: z.int().positive().optional(),
  certDaysLeft: z.int().nonnegative().optional(),
});

/** URL userinfo, if the string parses at all (an unparsable one is already an issue of its own). */
function hasCredentials(url: string): boolean {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  return Boolean(parsed?.username || parsed?.password);
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpSpecSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .refine((url) => !hasCredentials(url), {
      error: 'credentials in the URL are not allowed; send them in headers',
    }),
  method: z.enum(HTTP_METHODS).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  /** Redirects followed before giving up; 0 treats a redirect as the response. */
  maxRedirects: z.int().min(0).max(20).default(5),
  /** Probe every address the name resolves to, one sub-result per address. */
  allAddresses: z.boolean().default(false),
  /** Largest body read for assertions; a larger one fails as `body_too_large`. */
  maxBodyBytes: z
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Accept self-signed or mismatched certificates (the expiry is still reported). */
  insecureTls: z.boolean().default(false),
  expect: httpExpectSchema.prefault({}),
});
export type HttpSpec = z.output<typeof httpSpecSchema>;

/** RFC 1123 labels: letters, digits and inner hyphens, at most 63 each, 253 in all; a final dot is allowed. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A TCP target's host: a DNS name or an IPv4/IPv6 literal (bracketed or not) — not `host:80`, a URL, or stray spaces. */
function isHostOrAddress(host: string): boolean {
  const bracketed = /^\[([^\]]+)\]$/.exec(host)?.[1];
  return isIP(host) !== 0 || (bracketed !== undefined && isIP(bracketed) === 6) || HOST_NAME.test(host);
}

export const tcpSpecSchema = z.strictObject({
  host: z.string().refine(isHostOrAddress, { error: 'expected a host name or an IP address, without port or scheme' }),
  /** A number, or digits in a string (so `${PORT}` from the environment works). */
  port: z
    .union(
      [
        z.int(),
        z
          .string()
          .regex(/^\d{1,5}$/)
          .transform(Number),
      ],
      { error: 'expected a port from 1 to 65535' },
    )
    .pipe(
      z
        .int()
        .min(1, { error: 'expected a port from 1 to 65535' })
        .max(65535, { error: 'expected a port from 1 to 65535' }),
    ),
  tls: z.boolean().default(false),
  servername: z.string().optional(),
  insecureTls: z.boolean().default(false),
  /** Written after connecting; `expect` is then awaited in what comes back. */
  send: z.string().optional(),
  expect: z.string().min(1).optional(),
  certDaysLeft: z.int().nonnegative().optional(),
  maxMs: z.int().positive().optional(),
});
export type TcpSpec = z.output<typeof tcpSpecSchema>;

export const quorumSchema = z.union([z.literal('majority'), z.literal('all'), z.int().positive()], {
  error: 'expected "majority", "all" or a number of vantages',
});
export type Quorum = z.output<typeof quorumSchema>;

export const severitySchema = z.enum(['critical', 'major', 'minor', 'info']);

const checkInputFields = {
  id: slugSchema,
  name: z.string().min(1).max(200).optional(),
  component: slugSchema.optional(),
  http: httpSpecSchema.optional(),
  tcp: tcpSpecSchema.optional(),
  interval: durationSchema.optional(),
  timeout: durationSchema.optional(),
  vantages: z.array(slugSchema).min(1).optional(),
  confirmations: z.int().min(1).max(100).optional(),
  quorum: quorumSchema.optional(),
  severity: severitySchema.default('major'),
  escalation: slugSchema.optional(),
  /** Open an incident when the check is `down` (default), or already when it is `degraded`. */
  alertOn: z.enum(['down', 'degraded']).default('down'),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  paused: z.boolean().default(false),
  /** Show this check's name and target on the public status page (its component is always shown by name only). */
  public: z.boolean().default(false),
};

function exactlyOneKind(check: { http?: unknown; tcp?: unknown }, ctx: z.RefinementCtx): void {
  const kinds = [check.http, check.tcp].filter((kind) => kind !== undefined).length;
  if (kinds !== 1) ctx.addIssue({ code: 'custom', path: ['http'], message: 'expected exactly one of http or tcp' });
}

/** A check as written in an API body (or vigil.yaml, less its file-only fields): defaults not yet applied. */
export const checkInputSchema = z.strictObject(checkInputFields).superRefine(exactlyOneKind);
export type CheckInput = z.output<typeof checkInputSchema>;

/**
 * A check in vigil.yaml: the API's fields, and `allowPrivateTarget`, which only the operator's own file
 * may set — it lets this one check probe the private or loopback target it names, and nothing else.
 */
export const fileCheckInputSchema = z
  .strictObject({ ...checkInputFields, allowPrivateTarget: z.boolean().default(false) })
  .superRefine(exactlyOneKind);
export type FileCheckInput = z.output<typeof fileCheckInputSchema>;

export const checkDefaultsSchema = z.strictObject({
  interval: durationSchema.prefault('30s'),
  timeout: durationSchema.prefault('10s'),
  confirmations: z.int().min(1).max(100).default(2),
  quorum: quorumSchema.default('majority'),
});
export type CheckDefaults = z.output<typeof checkDefaultsSchema>;

/** The shortest interval a check may have; below it a probe fleet becomes a flood. */
export const MIN_INTERVAL_MS = 1_000;
/** A day: the longest interval a probed check may have (a job that checks in weekly is a heartbeat). */
export const MAX_INTERVAL_MS = DAY_MS;

/** A check with every default applied: what the registry stores and the scheduler reads. */
export interface Check {
  id: string;
  name: string;
  component?: string;
  kind: 'http' | 'tcp';
  http?: HttpSpec;
  tcp?: TcpSpec;
  intervalMs: number;
  timeoutMs: number;
  /** Vantages that probe it; empty means every configured vantage. */
  vantages: string[];
  confirmations: number;
  quorum: Quorum;
  severity: z.output<typeof severitySchema>;
  escalation?: string;
  alertOn: 'down' | 'degraded';
  tags: string[];
  paused: boolean;
  /** Name and target shown on the public status page; absent unless the check says `public: true`. */
  public?: true;
  /** The API token owner who registered it; absent for checks from vigil.yaml. */
  owner?: string;
}

/** Applies defaults to a validated input; `validateResolvedCheck` then checks what spans fields. */
export function resolveCheck(input: CheckInput, defaults: CheckDefaults): Check {
  const intervalMs = input.interval ?? defaults.interval;
  const timeoutMs = input.timeout ?? defaults.timeout;
  return {
    id: input.id,
    name: input.name ?? input.id,
    ...(input.component !== undefined && { component: input.component }),
    kind: input.http ? 'http' : 'tcp',
    ...(input.http && { http: input.http }),
    ...(input.tcp && { tcp: input.tcp }),
    intervalMs,
    timeoutMs,
    vantages: input.vantages ?? [],
    confirmations: input.confirmations ?? defaults.confirmations,
    quorum: input.quorum ?? defaults.quorum,
    severity: input.severity,
    ...(input.escalation !== undefined && { escalation: input.escalation }),
    alertOn: input.alertOn,
    tags: input.tags,
    paused: input.paused,
    ...(input.public && { public: true }),
  };
}

/** The host a check probes, for per-host concurrency caps and messages. */
export function checkTarget(check: Pick<Check, 'http' | 'tcp'>): string {
  if (check.http) return new URL(check.http.url).host;
  if (check.tcp) return `${check.tcp.host}:${check.tcp.port}`;
  return '';
}

/** Rules that span a check and its defaults; each issue names the field to fix. */
export function resolvedCheckIssues(check: Check): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (check.intervalMs < MIN_INTERVAL_MS) {
    issues.push({ path: ['interval'], message: `expected at least ${MIN_INTERVAL_MS / 1000}s` });
  }
  if (check.intervalMs > MAX_INTERVAL_MS) {
    issues.push({ path: ['interval'], message: `expected at most ${formatDuration(MAX_INTERVAL_MS)}` });
  }
  if (check.timeoutMs > check.intervalMs) {
    issues.push({ path: ['timeout'], message: `expected at most the interval (${check.intervalMs}ms)` });
  }
  return issues;
}

/**
 * A short fingerprint of everything a check does (not who owns it): the API returns it and
 * `vigil apply` computes it for the file, so "unchanged" is exact even when secrets are redacted.
 */
export function checkRevision(check: Check): string {
  const { owner: _owner, ...spec } = check;
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

function statusText(range: StatusRange): string {
  return range.min === range.max ? String(range.min) : `${range.min}-${range.max}`;
}

/**
 * The input form of a stored check (durations as text, status ranges as strings): parsing it
 * with `checkInputSchema` and resolving it gives the same check back. PATCH merges into it.
 */
export function checkToInput(check: Check): Record<string, unknown> {
  const http = check.http && {
    ...check.http,
    expect: { ...check.http.expect, status: check.http.expect.status.map(statusText) },
  };
  return {
    id: check.id,
    name: check.name,
    ...(check.component !== undefined && { component: check.component }),
    ...(http && { http }),
    ...(check.tcp && { tcp: check.tcp }),
    interval: formatDuration(check.intervalMs),
    timeout: formatDuration(check.timeoutMs),
    ...(check.vantages.length > 0 && { vantages: check.vantages }),
    confirmations: check.confirmations,
    quorum: check.quorum,
    severity: check.severity,
    ...(check.escalation !== undefined && { escalation: check.escalation }),
    alertOn: check.alertOn,
    tags: check.tags,
    paused: check.paused,
    ...(check.public && { public: true }),
  };
}
