/** Helpers for tests and benches of other packages (`@vigil/prober/testing`): real loopback servers for probe kinds. */
export { type DnsReply, type DnsTestServer, startDnsServer } from './dns/dns-test-server.js';
