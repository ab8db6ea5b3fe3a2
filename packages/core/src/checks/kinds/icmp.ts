import { z } from 'zod';
import { canonicalHost } from '../../targets/host-spelling.js';
import type { CheckKindModule } from './check-kind.js';
import { isHostOrAddress } from './host-name.js';

/** Echo requests a probe sends unless the check says otherwise. */
export const ICMP_DEFAULT_COUNT = 3;

export const icmpExpectSchema = z.strictObject({
  /** More loss than this fails the probe (`icmp_loss`); without it, only a probe with no reply at all fails. */
  maxLossPercent: z.number().min(0).max(100).optional(),
  /** A mean round trip longer than this fails the probe (`assertion`). */
  maxRttMs: z.number().positive().optional(),
});

export const icmpSpecSchema = z
  .strictObject({
    /**
     * An address or a name; never anything a command line could read as an option (`-f`, `--help`):
     * the prober pings the vetted address, this text never reaches the ping command.
     */
    host: z.string().refine(isHostOrAddress, { error: 'expected a host name or an IP address, such as 5.104.101.30' }),
    count: z.int().min(1).max(20).default(ICMP_DEFAULT_COUNT),
    expect: icmpExpectSchema.prefault({}),
  })
  .meta({ description: 'ICMP echo requests to a host (a bare IP or a name): packet loss and round-trip times.' });
export type IcmpSpec = z.output<typeof icmpSpecSchema>;

export const icmpKind = {
  summary: 'ICMP echo requests to a host: packet loss and round-trip times',
  schema: icmpSpecSchema,
  flag: {
    value: 'HOST',
    example: '5.104.101.30',
    toInput: (text) => (isHostOrAddress(text) ? { host: text } : undefined),
  },
  target: (spec) => spec.host,
  describe: (spec) => `${spec.host} (${spec.count} echo requests)`,
  publicTarget: (spec) => spec.host,
  limitKey: (spec) => spec.host,
  policyHosts: (spec) => [{ field: 'host', host: canonicalHost(spec.host), written: spec.host }],
  toInput: (spec) => spec,
  redact: (spec) => spec,
} satisfies CheckKindModule<IcmpSpec, { host: string }>;
