import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificatePair,
  probeHttpSpec,
  selfSignedCertificate,
  startHttpServer,
  startHttpsServer,
  type TestServer,
} from '../test-servers.js';

const DAY = 86_400_000;

describe('HTTPS probe', () => {
  let pair: CertificatePair;
  let server: TestServer;
  let plain: TestServer;
  let url: string;
  beforeAll(async () => {
    pair = await selfSignedCertificate(30);
    server = await startHttpsServer((_req, res) => res.end('secure'), pair);
    plain = await startHttpServer((_req, res) => res.end('plain'));
    url = `https://127.0.0.1:${server.port}/`;
  });
  afterAll(async () => {
    await Promise.all([server.close(), plain.close()]);
  });

  it('refuses a self-signed certificate as tls, still reporting when it expires', async () => {
    const result = await probeHttpSpec({ url });
    expect(result).toMatchObject({ ok: false, error: 'tls', remoteAddress: '127.0.0.1' });
    expect(result.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.certExpiresAt).toBeGreaterThan(Date.now());
  });

  it('accepts it with insecureTls, with the TLS timing and the expiry', async () => {
    const result = await probeHttpSpec({ url, insecureTls: true, expect: { bodyContains: 'secure' } });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.timings.tls).toBeGreaterThan(0);
    expect(result.timings.connect).toBeGreaterThanOrEqual(0);
    expect(Math.abs((result.certExpiresAt ?? 0) - pair.notAfter.getTime())).toBeLessThan(DAY);
  });

  it('fails as cert_expiry when fewer days are left than certDaysLeft', async () => {
    const result = await probeHttpSpec({ url, insecureTls: true, expect: { certDaysLeft: 45 } });
    expect(result).toMatchObject({ ok: false, error: 'cert_expiry', status: 200 });
    expect(result.message).toMatch(/expires in (29|30) days.*expected at least 45 days left/);
    const enough = await probeHttpSpec({ url, insecureTls: true, expect: { certDaysLeft: 20 } });
    expect(enough.ok).toBe(true);
  });

  it('judges expiry by the injected clock', async () => {
    const later = { now: () => Date.now() + 40 * DAY };
    const result = await probeHttpSpec({ url, insecureTls: true, expect: { certDaysLeft: 1 } }, { clock: later });
    expect(result).toMatchObject({ ok: false, error: 'cert_expiry' });
    expect(result.message).toContain('expired on');
  });

  it('reports TLS spoken to a plain HTTP server as tls', async () => {
    const result = await probeHttpSpec({ url: `https://127.0.0.1:${plain.port}/` });
    expect(result).toMatchObject({ ok: false, error: 'tls' });
  });

  it('reports plain HTTP spoken to a TLS server as a failure, not a hang', async () => {
    const result = await probeHttpSpec({ url: url.replace('https:', 'http:') });
    expect(result.ok).toBe(false);
    expect(['reset', 'protocol']).toContain(result.error);
  });
});
