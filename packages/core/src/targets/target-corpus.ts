/** One way of writing a probe target: an HTTP URL or a TCP host and port, and what the spelling is. */
export interface CorpusTarget {
  what: string;
  http?: string;
  tcp?: { host: string; port: number };
}

/**
 * Targets that are not public however they are spelled, so registration and the prober's guard can be
 * tested against the same list: odd IPv4 spellings, IPv6 forms that embed IPv4, private and special
 * ranges, and names that are loopback or the metadata service by definition.
 */
export const BLOCKED_TARGET_CORPUS: readonly CorpusTarget[] = [
  { what: 'loopback', http: 'http://127.0.0.1:8080/' },
  { what: 'loopback, elsewhere in 127/8', http: 'http://127.1.2.3/' },
  { what: 'loopback as a decimal number', http: 'http://2130706433/' },
  { what: 'loopback in hex', http: 'http://0x7f000001/' },
  { what: 'loopback, short form', http: 'http://127.1/' },
  { what: 'loopback in octal', http: 'http://0177.0.0.1/' },
  { what: 'loopback with a trailing dot', http: 'http://127.0.0.1./' },
  { what: 'IPv6 loopback', http: 'http://[::1]/' },
  { what: 'IPv4-mapped IPv6 loopback', http: 'http://[::ffff:127.0.0.1]/' },
  { what: 'IPv4-mapped IPv6 private', http: 'http://[::ffff:10.0.0.1]/' },
  { what: 'IPv4-mapped IPv6 metadata', http: 'http://[::ffff:169.254.169.254]/' },
  { what: 'IPv4-compatible IPv6 loopback', http: 'http://[::127.0.0.1]/' },
  { what: 'NAT64 loopback', http: 'http://[64:ff9b::7f00:1]/' },
  { what: 'NAT64 private', http: 'http://[64:ff9b::a00:1]/' },
  { what: '6to4 loopback', http: 'http://[2002:7f00:1::1]/' },
  { what: '6to4 private', http: 'http://[2002:c0a8:101::1]/' },
  { what: 'Teredo client loopback', http: 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/' },
  { what: 'link-local metadata service', http: 'http://169.254.169.254/latest/meta-data/' },
  { what: 'private 10/8', http: 'http://10.1.2.3/' },
  { what: 'private 172.16/12', http: 'https://172.16.0.1/' },
  { what: 'private 172.16/12, top', http: 'http://172.31.255.255/' },
  { what: 'private 192.168/16', http: 'http://192.168.1.1/admin' },
  { what: 'carrier-grade NAT', http: 'http://100.64.0.1/' },
  { what: 'unique local fd00::/8', http: 'http://[fd12::1]/' },
  { what: 'unique local fc00::/8', http: 'http://[fc00::1]/' },
  { what: 'IPv6 link-local', http: 'http://[fe80::1]/' },
  { what: 'unspecified 0.0.0.0', http: 'http://0.0.0.0/' },
  { what: 'unspecified as 0', http: 'http://0/' },
  { what: 'IPv6 unspecified', http: 'http://[::]/' },
  { what: 'IPv4 multicast', http: 'http://224.0.0.1/' },
  { what: 'IPv6 multicast', http: 'http://[ff02::1]/' },
  { what: 'broadcast', http: 'http://255.255.255.255/' },
  { what: 'localhost', http: 'http://localhost:3000/' },
  { what: 'localhost in capitals', http: 'http://LocalHost/' },
  { what: 'localhost with a trailing dot', http: 'http://localhost./' },
  { what: 'a subdomain of localhost', http: 'http://foo.localhost/' },
  { what: 'GCE metadata name', http: 'http://metadata.google.internal/computeMetadata/v1/' },
  { what: 'GCE metadata short name', http: 'http://metadata.goog/' },
  { what: 'AWS metadata name', http: 'http://instance-data/latest/meta-data/' },
  { what: 'AWS metadata long name', http: 'http://instance-data.ec2.internal/' },
  { what: 'TCP loopback', tcp: { host: '127.0.0.1', port: 6379 } },
  { what: 'TCP loopback as a decimal number', tcp: { host: '2130706433', port: 6379 } },
  { what: 'TCP loopback in hex', tcp: { host: '0x7f000001', port: 6379 } },
  { what: 'TCP loopback, short form', tcp: { host: '127.1', port: 6379 } },
  { what: 'TCP IPv6 loopback', tcp: { host: '::1', port: 22 } },
  { what: 'TCP IPv6 loopback in brackets', tcp: { host: '[::1]', port: 22 } },
  { what: 'TCP IPv4-mapped IPv6 loopback', tcp: { host: '::ffff:127.0.0.1', port: 6379 } },
  { what: 'TCP NAT64 private', tcp: { host: '64:ff9b::a00:1', port: 5432 } },
  { what: 'TCP private', tcp: { host: '10.0.0.1', port: 5432 } },
  { what: 'TCP metadata service', tcp: { host: '169.254.169.254', port: 80 } },
  { what: 'TCP unique local', tcp: { host: 'fc00::1', port: 443 } },
  { what: 'TCP IPv6 link-local', tcp: { host: 'fe80::1', port: 443 } },
  { what: 'TCP unspecified', tcp: { host: '0.0.0.0', port: 80 } },
  { what: 'TCP IPv6 unspecified', tcp: { host: '::', port: 80 } },
  { what: 'TCP localhost', tcp: { host: 'localhost', port: 6379 } },
  { what: 'TCP subdomain of localhost', tcp: { host: 'foo.localhost', port: 6379 } },
  { what: 'TCP GCE metadata name', tcp: { host: 'metadata.google.internal', port: 80 } },
];

/** Public targets, some spelled like the blocked ones, that nothing may refuse. */
export const ALLOWED_TARGET_CORPUS: readonly CorpusTarget[] = [
  { what: 'public IPv4', http: 'https://5.104.101.30/' },
  { what: 'public IPv4 with a port', http: 'http://8.8.8.8:8080/' },
  { what: 'public IPv6', http: 'https://[2606:4700::1111]/' },
  { what: 'IPv4-mapped IPv6 public', http: 'http://[::ffff:8.8.8.8]/' },
  { what: 'NAT64 public', http: 'http://[64:ff9b::808:808]/' },
  { what: 'public IPv4 as a decimal number', http: 'http://16843009/' },
  { what: 'a host name', http: 'https://example.com/' },
  { what: 'a name that merely mentions localhost', http: 'https://localhost.example.com/' },
  { what: 'a name that merely mentions metadata', http: 'https://metadata.example.com/' },
  { what: 'TCP public IPv4', tcp: { host: '109.232.236.90', port: 443 } },
  { what: 'TCP public IPv6', tcp: { host: '2606:4700::1111', port: 443 } },
  { what: 'TCP public IPv6 in brackets', tcp: { host: '[2606:4700::1111]', port: 443 } },
  { what: 'TCP host name', tcp: { host: 'example.com', port: 443 } },
];
