import { freePort } from '@vigil/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificatePair,
  probeTcpSpec,
  selfSignedCertificate,
  startTcpServer,
  startTlsServer,
  type TestServer,
} from '../test-servers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Answers `PONG` to anything it is sent, then hangs up. */
async function pongServer(): Promise<TestServer> {
  const server = await startTcpServer((socket) => socket.once('data', () => socket.end('+PONG\r\n')));
  servers.push(server);
  return server;
}

describe('TCP probe', () => {
  it('succeeds once the port accepts a connection', async () => {
    const server = await startTcpServer((socket) => socket.end());
    servers.push(server);
    const result = await probeTcpSpec({ host: '127.0.0.1', port: server.port });
    expect(result).toMatchObject({ ok: true, remoteAddress: '127.0.0.1', checkId: 'tcp' });
    expect(result.timings.connect).toBeGreaterThanOrEqual(0);
    expect(result.timings.total).toBeGreaterThan(0);
  });

  it('sends a line and finds the expected reply', async () => {
    const server = await pongServer();
    const result = await probeTcpSpec({ host: '127.0.0.1', port: server.port, send: 'PING\r\n', expect: 'PONG' });
    expect(result).toMatchObject({ ok: true });
    expect(result.timings.firstByte).toBeGreaterThanOrEqual(0);
  });

  it('fails as assertion when the reply lacks what is expected, quoting what came', async () => {
    const server = await pongServer();
    const result = await probeTcpSpec({ host: '127.0.0.1', port: server.port, send: 'PING\r\n', expect: 'READY' });
    expect(result).toMatchObject({ ok: false, error: 'assertion' });
    expect(result.message).toBe('expected "READY" in the reply; the connection closed after 7 bytes: "+PONG\\r\\n"');
  });

  it('reports a refused connection as connect_refused', async () => {
    const result = await probeTcpSpec({ host: '127.0.0.1', port: await freePort() });
    expect(result).toMatchObject({ ok: false, error: 'connect_refused' });
  });

  it('resolves a host name before connecting', async () => {
    const server = await pongServer();
    const result = await probeTcpSpec(
      { host: 'db.test', port: server.port, send: 'PING\r\n', expect: 'PONG' },
      { resolve: async () => ['127.0.0.1'] },
    );
    expect(result).toMatchObject({ ok: true, remoteAddress: '127.0.0.1' });
    expect(result.timings.dns).toBeGreaterThanOrEqual(0);
  });

  it('marks a probe slower than maxMs as slow, still ok', async () => {
    const server = await startTcpServer((socket) => setTimeout(() => socket.end('READY'), 150));
    servers.push(server);
    const result = await probeTcpSpec({ host: '127.0.0.1', port: server.port, expect: 'READY', maxMs: 50 });
    expect(result).toMatchObject({ ok: true, slow: true });
  });

  describe('over TLS', () => {
    let pair: CertificatePair;
    let server: TestServer;
    beforeAll(async () => {
      pair = await selfSignedCertificate(10);
      server = await startTlsServer((socket) => socket.end('220 ready\r\n'), pair);
    });
    afterAll(async () => {
      await server.close();
    });

    it('connects with insecureTls and reports the certificate expiry', async () => {
      const result = await probeTcpSpec({
        host: '127.0.0.1',
        port: server.port,
        tls: true,
        insecureTls: true,
        expect: '220',
      });
      expect(result).toMatchObject({ ok: true });
      expect(result.timings.tls).toBeGreaterThan(0);
      expect(Math.abs((result.certExpiresAt ?? 0) - pair.notAfter.getTime())).toBeLessThan(86_400_000);
    });

    it('refuses the self-signed certificate without insecureTls', async () => {
      const result = await probeTcpSpec({ host: '127.0.0.1', port: server.port, tls: true });
      expect(result).toMatchObject({ ok: false, error: 'tls' });
    });

    it('fails as cert_expiry when fewer days are left than certDaysLeft', async () => {
      const result = await probeTcpSpec({
        host: '127.0.0.1',
        port: server.port,
        tls: true,
        insecureTls: true,
        certDaysLeft: 30,
      });
      expect(result).toMatchObject({ ok: false, error: 'cert_expiry' });
    });
  });
});
