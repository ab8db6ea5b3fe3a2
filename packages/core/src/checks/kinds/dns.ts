import { z } from 'zod';
import { canonicalHost } from '../../targets/host-spelling.js';
import type { CheckKindModule } from './check-kind.js';
import { isHostName, isHostOrAddress, splitHostPort } from './host-name.js';

/** The record types a DNS check asks for. */
export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'CAA'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** Response codes a check may expect (RFC 1035 and 2136 names, as resolvers print them). */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

/** The port a resolver listens on unless `server` names another. */
export const DNS_PORT = 53;

const SERVER_MESSAGE = 'expected a resolver as host or host:port, such as 9.9.9.9, 1.1.1.1:53 or [2620:fe::fe]:53';

/** `host[:port]`: the resolver asked instead of the prober's own. */
const serverSchema = z.string().refine(
  (text) => {
    const { host, port } = splitHostPort(text);
    const portOk = port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
    return host !== '' && isHostOrAddress(host) && portOk;
  },
  { error: SERVER_MESSAGE },
);

/** A resolver as sockets want it: bare host and port. */
export function dnsServer(server: string): { host: string; port: number } {
  const { host, port } = splitHostPort(server);
  return { host, port: port === undefined ? DNS_PORT : Number(port) };
}

export const dnsExpectSchema = z.strictObject({
  /** The response code the answer must carry; NOERROR unless said otherwise. */
  rcode: z.enum(DNS_RCODES).default('NOERROR'),
  /** Records as text (`93.184.216.34`, `10 mx.example.com`, `0 issue "letsencrypt.org"`), order ignored. */
  answers: z
    .strictObject({
      contains: z.array(z.string().min(1)).min(1).optional(),
      equals: z.array(z.string().min(1)).min(1).optional(),
    })
    .optional(),
  /** Every answer's TTL at least this many seconds. */
  minTtl: z.int().nonnegative().optional(),
  /** Slower than this is reported `slow` (degraded), not failed. */
  maxMs: z.int().positive().optional(),
});

export const dnsSpecSchema = z
  .strictObject({
    name: z.string().refine(isHostName, { error: 'expected a DNS name such as www.example.com' }),
    type: z.enum(DNS_RECORD_TYPES).default('A'),
    server: serverSchema.optional(),
    expect: dnsExpectSchema.prefault({}),
  })
  .meta({
    description:
      'A DNS question to a resolver and its answer. Through the API `server` is required; only vigil.yaml may leave it out (the prober host’s own resolver).',
  });
export type DnsSpec = z.output<typeof dnsSpecSchema>;

function asked(spec: Pick<DnsSpec, 'name' | 'type'>): string {
  return `${spec.type} ${spec.name}`;
}

export const dnsKind = {
  summary: 'a DNS question (A, AAAA, CNAME, MX, TXT, NS, SOA, CAA) and what its answer must be',
  schema: dnsSpecSchema,
  flag: {
    value: '[TYPE:]NAME[@SERVER]',
    example: 'MX:example.com@9.9.9.9',
    toInput(text) {
      const match = /^(?:([A-Za-z]+):)?([^@]+)(?:@(.+))?$/.exec(text);
      if (!match?.[2]) return undefined;
      return {
        name: match[2],
        ...(match[1] !== undefined && { type: match[1].toUpperCase() }),
        ...(match[3] !== undefined && { server: match[3] }),
      };
    },
  },
  target: (spec) => `${asked(spec)}${spec.server === undefined ? '' : ` @${spec.server}`}`,
  describe: (spec) => `${asked(spec)}${spec.server === undefined ? '' : ` @${spec.server}`}`,
  /** The question, not the resolver: which resolver the fleet asks is the operator's business. */
  publicTarget: (spec) => asked(spec),
  /** The resolver bears the load; without one, the name's own servers do. */
  limitKey: (spec) => spec.server ?? spec.name,
  policyHosts: (spec) => {
    if (spec.server === undefined) return [];
    const { host } = splitHostPort(spec.server);
    return [{ field: 'server', host: canonicalHost(host), written: spec.server }];
  },
  /**
   * Without `server` the prober host's own resolver answers, and the answers and its address come back
   * in results: the operator's internal DNS. Only vigil.yaml, the operator's, may leave it out.
   */
  apiIssues: (spec) =>
    spec.server === undefined
      ? [
          {
            field: 'server',
            message:
              "required for a check written through the API: expected a public resolver, host[:port] such as 9.9.9.9 or 1.1.1.1:53 (only checks in vigil.yaml may use the prober's own resolver)",
          },
        ]
      : [],
  toInput: (spec) => spec,
  redact: (spec) => spec,
} satisfies CheckKindModule<DnsSpec, { server?: string | undefined }>;
