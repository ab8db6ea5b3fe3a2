import type { ServerResponse } from 'node:http';
import { eventually } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  durationOf,
  probeHttpSpec,
  probeTcpSpec,
  startHttpServer,
  startTcpServer,
  type TestServer,
} from './test-servers.js';

/** Short enough to keep the suite quick, long enough not to trip on a loaded machine. */
const TIMEOUT_MS = 700;
/** How late a result may come after the deadline on a busy CI runner. */
const GRACE_MS = 3_000;

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function keep(server: Promise<TestServer>): Promise<TestServer> {
  const started = await server;
  servers.push(started);
  return started;
}

/** Every socket the probe opened is gone soon after the result: nothing lingers to leak. */
async function expectNothingLeftOpen(server: TestServer): Promise<void> {
  await eventually(() => server.open.size === 0, 3_000, 'every socket the probe opened to close');
}

function expectCutAtDeadline(result: { finishedAt: number; startedAt: number }): void {
  expect(durationOf(result)).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
  expect(durationOf(result)).toBeLessThan(TIMEOUT_MS + GRACE_MS);
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** Writes 64 KiB chunks as fast as the client takes them, forever, with no content-length. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const pump = () => {
    while (!res.destroyed && res.write(CHUNK));
  };
  res.on('drain', pump);
  pump();
}

/** A byte every 100 ms, forever: the body never ends and never stalls long enough to look dead. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => res.write('.'), 100);
  res.on('close', () => clearInterval(timer));
}

describe('hostile targets end at the deadline', () => {
  it('a server that accepts and never sends headers', async () => {
    const server = await keep(startHttpServer(() => {}));
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/` }, { timeoutMs: TIMEOUT_MS });
    expect(result).toMatchObject({ ok: false, error: 'timeout', remoteAddress: '127.0.0.1' });
    expect(result.message).toBe(`no answer within ${TIMEOUT_MS}ms (timed out waiting for response headers)`);
    expectCutAtDeadline(result);
    await expectNothingLeftOpen(server);
  });

  it('a body trickled a byte at a time (slowloris), with or without body assertions', async () => {
    const server = await keep(startHttpServer((_req, res) => trickle(res)));
    const url = `http://127.0.0.1:${server.port}/`;
    for (const expectation of [{ bodyContains: 'done' }, {}]) {
      const result = await probeHttpSpec({ url, expect: expectation }, { timeoutMs: TIMEOUT_MS });
      expect(result).toMatchObject({ ok: false, error: 'timeout', status: 200 });
      expect(result.message).toContain('timed out reading the body');
      expectCutAtDeadline(result);
    }
    await expectNothingLeftOpen(server);
  });

  it('an endless body is cut at maxBodyBytes as body_too_large, long before the deadline', async () => {
    const server = await keep(startHttpServer((_req, res) => endless(res)));
    const result = await probeHttpSpec(
      { url: `http://127.0.0.1:${server.port}/`, maxBodyBytes: 256 * 1024, expect: { bodyContains: 'end' } },
      { timeoutMs: 10_000 },
    );
    expect(result).toMatchObject({ ok: false, error: 'body_too_large', status: 200 });
    expect(durationOf(result)).toBeLessThan(5_000);
    await expectNothingLeftOpen(server);
  });

  it('an endless body nobody asserts on is dumped after a bounded read and the probe passes', async () => {
    const server = await keep(startHttpServer((_req, res) => endless(res)));
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/` }, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(durationOf(result)).toBeLessThan(5_000);
    await expectNothingLeftOpen(server);
  });

  it('a TCP tarpit that accepts and never replies to the expected line', async () => {
    const server = await keep(startTcpServer());
    const result = await probeTcpSpec(
      { host: '127.0.0.1', port: server.port, send: 'PING\r\n', expect: 'PONG' },
      { timeoutMs: TIMEOUT_MS },
    );
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.message).toContain('timed out waiting for the reply');
    expectCutAtDeadline(result);
    await expectNothingLeftOpen(server);
  });

  it('a TLS tarpit that accepts TCP and never does the handshake, for HTTPS and TCP+TLS', async () => {
    const server = await keep(startTcpServer());
    const https = await probeHttpSpec({ url: `https://127.0.0.1:${server.port}/` }, { timeoutMs: TIMEOUT_MS });
    const tcp = await probeTcpSpec({ host: '127.0.0.1', port: server.port, tls: true }, { timeoutMs: TIMEOUT_MS });
    for (const result of [https, tcp]) {
      expect(result).toMatchObject({ ok: false, error: 'timeout' });
      expect(result.message).toContain('timed out in the TLS handshake');
      expect(result.timings.connect).toBeGreaterThanOrEqual(0);
      expectCutAtDeadline(result);
    }
    await expectNothingLeftOpen(server);
  });

  it('a resolver that never answers', async () => {
    const resolve = () => new Promise<string[]>(() => {});
    const result = await probeHttpSpec({ url: 'http://stuck.test/' }, { timeoutMs: TIMEOUT_MS, resolve });
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.message).toContain('timed out resolving the name');
    expectCutAtDeadline(result);
  });

  it('every address of an allAddresses probe reports its own timeout', async () => {
    const server = await keep(startHttpServer(() => {}));
    const result = await probeHttpSpec(
      { url: `http://both.test:${server.port}/`, allAddresses: true },
      { timeoutMs: TIMEOUT_MS, resolve: async () => ['127.0.0.1', '127.0.0.1'] },
    );
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.message).toMatch(/^2 of 2 addresses failing: 127\.0\.0\.1 timeout, 127\.0\.0\.1 timeout/);
    expect(result.addresses?.map((sub) => sub.error)).toEqual(['timeout', 'timeout']);
    await expectNothingLeftOpen(server);
  });

  it('a probe cancelled by its caller ends at once as internal, not timeout', async () => {
    const server = await keep(startHttpServer(() => {}));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await probeHttpSpec(
      { url: `http://127.0.0.1:${server.port}/` },
      { timeoutMs: 20_000, signal: controller.signal },
    );
    expect(result).toMatchObject({
      ok: false,
      error: 'internal',
      message: 'the probe was cancelled before it finished',
    });
    expect(durationOf(result)).toBeLessThan(GRACE_MS);
    await expectNothingLeftOpen(server);
  });
});

describe('many hostile probes at once', () => {
  it('50 endless bodies stay within bounded memory and leave no socket open', async () => {
    const server = await keep(startHttpServer((_req, res) => endless(res)));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        probeHttpSpec(
          { url: `http://127.0.0.1:${server.port}/`, maxBodyBytes: 256 * 1024, expect: { bodyContains: 'end' } },
          { timeoutMs: 15_000 },
        ),
      ),
    );
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(results.map((result) => result.error)).toEqual(results.map(() => 'body_too_large'));
    expect(peak - baseline).toBeLessThan(100 * 1024 * 1024);
    expect(server.connections).toBe(50);
    await expectNothingLeftOpen(server);
  });
});
