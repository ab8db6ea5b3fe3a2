import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { probeResultSchema } from '@vigil/core';
import type { Answer } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { type DnsReply, type DnsTestServer, startDnsServer } from '../dns/dns-test-server.js';
import { durationOf, probeDnsSpec, strictGuard } from '../test-servers.js';

const NAME = 'www.example.test';
const a = (data: string, ttl = 300): Answer => ({ type: 'A', name: NAME, ttl, data });

describe('DNS probe against a real DNS server on loopback (tests allow private targets, as vigil.yaml can)', () => {
  let server: DnsTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(reply: DnsReply | ((type: string | undefined) => DnsReply)) {
    server = await startDnsServer((question) => (typeof reply === 'function' ? reply(question?.type) : reply));
    return `${server.host}:${server.port}`;
  }

  it('reports the answer, the resolver and the timings when the records are the expected ones', async () => {
    const resolver = await serve({ answers: [a('192.0.2.2', 120), a('192.0.2.1', 60)] });
    const result = await probeDnsSpec({
      name: NAME,
      server: resolver,
      expect: { answers: { equals: ['192.0.2.1', '192.0.2.2'] } },
    });
    expect(result).toMatchObject({
      ok: true,
      remoteAddress: '127.0.0.1',
      dns: { rcode: 'NOERROR', answers: ['192.0.2.1', '192.0.2.2'], minTtl: 60, transport: 'udp' },
    });
    expect(result.timings.firstByte).toBeGreaterThan(0);
    expect(result.timings.total).toBeGreaterThanOrEqual(result.timings.firstByte ?? 0);
    expect(server?.questions).toEqual([
      { question: expect.objectContaining({ name: NAME, type: 'A' }), transport: 'udp' },
    ]);
  });

  it('fails a wrong answer as an assertion and still reports what was answered', async () => {
    const resolver = await serve({ answers: [a('198.51.100.7')] });
    const result = await probeDnsSpec({
      name: NAME,
      server: resolver,
      expect: { answers: { contains: ['192.0.2.1'] } },
    });
    expect(result).toMatchObject({ ok: false, error: 'assertion', dns: { answers: ['198.51.100.7'] } });
    expect(result.message).toBe(`A ${NAME}: expected 192.0.2.1 among the answers; got 198.51.100.7`);
  });

  it('classifies SERVFAIL, NXDOMAIN and REFUSED by their response codes', async () => {
    const cases = [
      [2, 'servfail', 'SERVFAIL'],
      [3, 'nxdomain', 'NXDOMAIN'],
      [5, 'dns_refused', 'REFUSED'],
    ] as const;
    for (const [rcode, error, name] of cases) {
      const resolver = await serve({ rcode });
      const result = await probeDnsSpec({ name: NAME, server: resolver });
      expect(result, name).toMatchObject({ ok: false, error, dns: { rcode: name, answers: [] } });
      expect(result.message).toBe(`A ${NAME}: the resolver answered ${name}; expected NOERROR`);
      await server?.close();
      server = undefined;
    }
  });

  it('passes NXDOMAIN when the check expects the name to be absent', async () => {
    const resolver = await serve({ rcode: 3 });
    const result = await probeDnsSpec({ name: NAME, server: resolver, expect: { rcode: 'NXDOMAIN' } });
    expect(result).toMatchObject({ ok: true, dns: { rcode: 'NXDOMAIN' } });
  });

  it('asks again over TCP when the UDP answer is truncated, as a resolver does', async () => {
    const many = Array.from({ length: 40 }, (_, i) => a(`192.0.2.${i + 1}`));
    const resolver = await serve({ answers: many, truncateUdp: true });
    const result = await probeDnsSpec({
      name: NAME,
      server: resolver,
      expect: { answers: { contains: ['192.0.2.40'] } },
    });
    expect(result).toMatchObject({ ok: true, dns: { transport: 'tcp' } });
    expect(result.dns?.answers).toHaveLength(40);
    expect(result.timings.connect).toBeGreaterThan(0);
    expect(server?.questions.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('times out within the probe deadline when the server never answers, and asks again meanwhile', async () => {
    const resolver = await serve('silent');
    const result = await probeDnsSpec({ name: NAME, server: resolver }, { timeoutMs: 1_500 });
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.message).toBe('no answer within 1500ms (timed out waiting for the reply)');
    expect(durationOf(result)).toBeLessThan(2_500);
    // UDP loses packets: the question went out again before the deadline.
    expect(server?.questions.length).toBeGreaterThanOrEqual(2);
  });

  it('reports connect_refused when nothing listens on the resolver’s port', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
    const { port } = socket.address() as AddressInfo;
    await new Promise<void>((done) => socket.close(done));
    const result = await probeDnsSpec({ name: NAME, server: `127.0.0.1:${port}` }, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, error: 'connect_refused' });
  });

  it('refuses a loopback resolver under the default guard, without asking it anything', async () => {
    const resolver = await serve({ answers: [a('192.0.2.1')] });
    const result = await probeDnsSpec({ name: NAME, server: resolver }, { guard: strictGuard });
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(server?.questions).toEqual([]);
  });

  it('resolves a resolver given by name and vets every address it has before asking', async () => {
    const port = (await serve({ answers: [a('192.0.2.1')] })).split(':')[1];
    const resolve = async () => ['127.0.0.1'];
    const named = await probeDnsSpec({ name: NAME, server: `ns.example.test:${port}` }, { resolve });
    expect(named).toMatchObject({ ok: true, remoteAddress: '127.0.0.1' });
    expect(named.timings.dns).toBeGreaterThanOrEqual(0);
    const refused = await probeDnsSpec(
      { name: NAME, server: `ns.example.test:${port}` },
      { resolve, guard: strictGuard },
    );
    expect(refused).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(refused.message).toMatch(/^ns\.example\.test resolved to 127\.0\.0\.1/);
    expect(server?.questions).toHaveLength(1);
  });

  it('says a resolver of the other address family cannot be reached from the vantage’s source address', async () => {
    const result = await probeDnsSpec({ name: NAME, server: '[::1]:53' }, { localAddress: '127.0.0.1' });
    expect(result).toMatchObject({ ok: false, error: 'unreachable' });
    expect(result.message).toBe('::1 has no IPv4 address to reach from 127.0.0.1');
  });

  it('writes MX, TXT, CAA and SOA records as dig +short does, and checks the smallest TTL', async () => {
    const records: Record<string, Answer[]> = {
      MX: [{ type: 'MX', name: NAME, ttl: 30, data: { preference: 10, exchange: 'MX1.Example.Test.' } }],
      TXT: [{ type: 'TXT', name: NAME, ttl: 30, data: ['v=spf1 ', '-all'] }],
      CAA: [{ type: 'CAA', name: NAME, ttl: 30, data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } }],
      SOA: [
        {
          type: 'SOA',
          name: NAME,
          ttl: 30,
          data: {
            mname: 'ns1.example.test',
            rname: 'hostmaster.example.test',
            serial: 7,
            refresh: 1,
            retry: 2,
            expire: 3,
            minimum: 4,
          },
        },
      ],
    };
    const resolver = await serve((type) => ({ answers: records[type ?? ''] ?? [] }));
    const expected = {
      MX: '10 mx1.example.test',
      TXT: 'v=spf1 -all',
      CAA: '0 issue "letsencrypt.org"',
      SOA: 'ns1.example.test hostmaster.example.test 7 1 2 3 4',
    } as const;
    for (const [type, text] of Object.entries(expected)) {
      const result = await probeDnsSpec({
        name: NAME,
        type: type as keyof typeof expected,
        server: resolver,
        expect: { answers: { equals: [type === 'MX' ? '10 MX1.example.test.' : text] } },
      });
      expect(result, type).toMatchObject({ ok: true, dns: { answers: [text] } });
    }
    const shortTtl = await probeDnsSpec({ name: NAME, type: 'MX', server: resolver, expect: { minTtl: 60 } });
    expect(shortTtl).toMatchObject({
      ok: false,
      error: 'assertion',
      message: `MX ${NAME}: a TTL of 30s; expected at least 60s`,
    });
  });

  it('fails an empty NOERROR answer, which a name with no such records gets', async () => {
    const resolver = await serve({ answers: [] });
    const result = await probeDnsSpec({ name: NAME, type: 'AAAA', server: resolver });
    expect(result).toMatchObject({
      ok: false,
      error: 'assertion',
      message: `AAAA ${NAME}: no AAAA records in the answer`,
    });
  });

  it('judges a 2,000-character TXT record on its full text and reports it cut, so the result still validates', async () => {
    const chunks = Array.from({ length: 8 }, (_, index) => `${index}`.repeat(250));
    const full = chunks.join('');
    const resolver = await serve({ answers: [{ type: 'TXT', name: NAME, ttl: 30, data: chunks }] });
    const result = await probeDnsSpec({
      name: NAME,
      type: 'TXT',
      server: resolver,
      expect: { answers: { contains: [full] } },
    });
    expect(probeResultSchema.safeParse(result).error).toBeUndefined();
    expect(result).toMatchObject({ ok: true, dns: { rcode: 'NOERROR' } });
    const [reported] = result.dns?.answers ?? [];
    expect(reported).toHaveLength(512);
    expect(reported).toBe(`${full.slice(0, 511)}…`);

    const changedAtTheEnd = `${full.slice(0, -1)}x`;
    const wrong = await probeDnsSpec({
      name: NAME,
      type: 'TXT',
      server: resolver,
      expect: { answers: { contains: [changedAtTheEnd] } },
    });
    expect(probeResultSchema.safeParse(wrong).error).toBeUndefined();
    expect(wrong).toMatchObject({ ok: false, error: 'assertion', dns: { answers: [reported] } });
  });
});
