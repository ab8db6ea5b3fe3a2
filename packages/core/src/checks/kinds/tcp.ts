import { z } from 'zod';
import { canonicalHost } from '../../targets/host-spelling.js';
import type { CheckKindModule } from './check-kind.js';
import { isHostOrAddress, portSchema, splitHostPort } from './host-name.js';

export const tcpSpecSchema = z
  .strictObject({
    host: z
      .string()
      .refine(isHostOrAddress, { error: 'expected a host name or an IP address, without port or scheme' }),
    port: portSchema,
    tls: z.boolean().default(false),
    servername: z.string().optional(),
    insecureTls: z.boolean().default(false),
    /** Written after connecting; `expect` is then awaited in what comes back. */
    send: z.string().optional(),
    expect: z.string().min(1).optional(),
    certDaysLeft: z.int().nonnegative().optional(),
    maxMs: z.int().positive().optional(),
  })
  .meta({ description: 'A TCP (or TLS) connection, optionally a line sent and a reply awaited.' });
export type TcpSpec = z.output<typeof tcpSpecSchema>;

export const tcpKind = {
  summary: 'a TCP (or TLS) connection, optionally a line sent and a reply awaited',
  schema: tcpSpecSchema,
  flag: {
    value: 'HOST:PORT',
    example: 'db.example.com:5432',
    toInput(text) {
      const { host, port } = splitHostPort(text);
      return port === undefined || host === '' ? undefined : { host, port };
    },
  },
  target: (spec) => `${spec.host}:${spec.port}`,
  describe: (spec) => `${spec.host}:${spec.port}${spec.tls ? ' (tls)' : ''}`,
  publicTarget: (spec) => `${spec.host}:${spec.port}`,
  limitKey: (spec) => `${spec.host}:${spec.port}`,
  policyHosts: (spec) => [{ field: 'host', host: canonicalHost(spec.host), written: spec.host }],
  toInput: (spec) => spec,
  redact: (spec) => spec,
} satisfies CheckKindModule<TcpSpec, { host: string }>;
