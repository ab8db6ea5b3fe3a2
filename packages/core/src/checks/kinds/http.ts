import { z } from 'zod';
import { urlHost } from '../../targets/host-spelling.js';
import { bodyPatternProblem } from '../body-pattern.js';
import type { CheckKindModule } from './check-kind.js';

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

export const httpSpecSchema = z
  .strictObject({
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
  })
  .meta({ description: 'An HTTP(S) request and what its response must show.' });
export type HttpSpec = z.output<typeof httpSpecSchema>;

/**
 * Header names whose values are credentials: shown as `[redacted]`, never echoed back. Any `key`
 * counts (`Ocp-Apim-Subscription-Key`, `X-Functions-Key`): hiding a harmless one costs nothing.
 */
const SECRET_HEADER = /auth|cookie|token|secret|passw|key|session|credential|signature/i;

/** What the API shows in place of a secret header's value. */
export const REDACTED = '[redacted]';

function statusText(range: StatusRange): string {
  return range.min === range.max ? String(range.min) : `${range.min}-${range.max}`;
}

export const httpKind = {
  summary: 'an HTTP(S) request: status, body, JSON, latency and certificate expectations',
  schema: httpSpecSchema,
  flag: { value: 'URL', example: 'https://api.example.com/health', toInput: (url) => ({ url }) },
  target: (spec) => spec.url,
  describe: (spec) => `${spec.method} ${spec.url}`,
  /** Scheme, host (and port) and path, never the query string (an `?api_key=…` is a credential). */
  publicTarget(spec) {
    const url = new URL(spec.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  },
  limitKey: (spec) => new URL(spec.url).host,
  policyHosts: (spec) => [{ field: 'url', host: urlHost(spec.url), written: spec.url }],
  toInput: (spec) => ({ ...spec, expect: { ...spec.expect, status: spec.expect.status.map(statusText) } }),
  redact: (spec) => ({
    ...spec,
    headers: Object.fromEntries(
      Object.entries(spec.headers).map(([name, value]) => [name, SECRET_HEADER.test(name) ? REDACTED : value]),
    ),
  }),
} satisfies CheckKindModule<HttpSpec, { url: string }>;
