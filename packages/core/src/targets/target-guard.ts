import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** The guard's settings, as `allowPrivateTargets` and `allowTargets` in vigil.yaml. */
export interface TargetGuardOptions {
  allowPrivateTargets: boolean;
  /** CIDRs or bare addresses let through even though they are not public. */
  allowTargets: string[];
}

/** Allowed, or refused with a reason that tells the operator how to allow it. */
export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

const HINT = 'set allowPrivateTargets or list it under allowTargets';

const V4_RANGES: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16, where cloud metadata services live)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address',
  reserved: 'a reserved address',
};

const V6_RANGES: Record<string, string> = {
  unspecified: 'the unspecified address',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique local (private) address (fc00::/7)',
  reserved: 'a reserved address',
};

const GLOBAL_UNICAST_V6: Range = ipaddr.parseCIDR('2000::/3');

/**
 * Decides whether a resolved address may be probed, so a check (or a redirect, or a DNS answer that
 * changed since the check was written) cannot turn the prober against its own network or the cloud
 * metadata service. Only public unicast passes unless the operator allowed more.
 */
export class TargetGuard {
  private readonly allowAll: boolean;
  private readonly allowList: Range[];

  constructor(options: TargetGuardOptions) {
    this.allowAll = options.allowPrivateTargets;
    this.allowList = options.allowTargets.map(parseRange);
  }

  /**
   * Judges one resolved IP; an IPv6 form that embeds an IPv4 address is judged by that address.
   * `name` is what the reason calls it, for a host name known to mean this address without DNS.
   */
  check(address: string, name = address): GuardVerdict {
    if (this.allowAll) return { allowed: true };
    let parsed: Address;
    try {
      parsed = ipaddr.parse(address);
    } catch {
      return { allowed: false, reason: `${address} is not an IP address` };
    }
    const embedded = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : undefined;
    if (this.isListed(parsed) || (embedded && this.isListed(embedded))) return { allowed: true };
    const problem = embedded ? describeEmbedded(embedded) : describeRange(parsed);
    return problem ? { allowed: false, reason: `${name} ${problem}; ${HINT}` } : { allowed: true };
  }

  private isListed(address: Address): boolean {
    return this.allowList.some((range) => range[0].kind() === address.kind() && address.match(range));
  }
}

function parseRange(text: string): Range {
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const address = ipaddr.parse(text);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** `is a loopback address`, or undefined for a public unicast address. */
function describeRange(address: Address): string | undefined {
  if (address.kind() === 'ipv4') {
    const range = (address as ipaddr.IPv4).range();
    if (range === 'unicast') return undefined;
    return `is ${V4_RANGES[range] ?? `a special-purpose address (${range})`}`;
  }
  const range = (address as ipaddr.IPv6).range();
  if (range === 'unicast') return address.match(GLOBAL_UNICAST_V6) ? undefined : 'is not a global unicast address';
  return `is ${V6_RANGES[range] ?? `a special-purpose address (${range})`}`;
}

function describeEmbedded(ipv4: ipaddr.IPv4): string | undefined {
  const problem = describeRange(ipv4);
  return problem && `embeds ${ipv4.toString()}, which ${problem}`;
}

/**
 * The IPv4 address a packet to this IPv6 address really reaches: IPv4-mapped and -compatible forms,
 * SIIT (RFC 6145), NAT64 well-known prefix (64:ff9b::/96), 6to4 (2002::/16) and Teredo's client.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const word = (index: number) => p[index] ?? 0;
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  const fromWords = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff].map((octet) => octet & 0xff));
  const low32 = fromWords(word(6), word(7));
  if (zeros(0, 5) && word(5) === 0xffff) return low32;
  if (zeros(0, 4) && word(4) === 0xffff && word(5) === 0) return low32;
  if (zeros(0, 6) && !(word(6) === 0 && word(7) <= 1)) return low32;
  if (word(0) === 0x64 && word(1) === 0xff9b && zeros(2, 6)) return low32;
  if (word(0) === 0x2002) return fromWords(word(1), word(2));
  if (word(0) === 0x2001 && word(1) === 0) return fromWords(~word(6) & 0xffff, ~word(7) & 0xffff);
  return undefined;
}
