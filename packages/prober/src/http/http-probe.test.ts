import type { IncomingMessage, ServerResponse } from 'node:http';
import { TargetGuard } from '@vigil/core';
import { freePort } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHttpSpec, startHttpServer, type TestServer } from '../test-servers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, host?: string, port?: number) {
  const server = await startHttpServer(handler, { ...(host && { host }), ...(port !== undefined && { port }) });
  servers.push(server);
  return server;
}

const json = (res: ServerResponse, value: unknown) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));

describe('HTTP probe', () => {
  it('reports a healthy endpoint with every timing and the address it reached', async () => {
    const server = await serve((_req, res) => res.end('hello'));
    const result = await probeHttpSpec(
      { url: `http://web.test:${server.port}/health` },
      { resolve: async () => ['127.0.0.1'] },
    );
    expect(result).toMatchObject({ ok: true, status: 200, remoteAddress: '127.0.0.1', checkId: 'web' });
    expect(result.error).toBeUndefined();
    for (const phase of ['dns', 'connect', 'firstByte', 'total'] as const) {
      expect(result.timings[phase]).toBeGreaterThanOrEqual(0);
    }
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt);
  });

  it('opens a fresh connection for every probe', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    for (let i = 0; i < 3; i++) await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/` });
    expect(server.connections).toBe(3);
  });

  it('sends the method, headers and body of the check', async () => {
    let seen = '';
    const server = await serve(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen = `${req.method} ${req.url} ${req.headers['x-probe']} ${body}`;
      res.end('ok');
    });
    const result = await probeHttpSpec({
      url: `http://127.0.0.1:${server.port}/submit?x=1`,
      method: 'POST',
      headers: { 'X-Probe': 'yes' },
      body: 'ping',
    });
    expect(result.ok).toBe(true);
    expect(seen).toBe('POST /submit?x=1 yes ping');
  });

  it('fails an unexpected status as http_status, naming what was expected', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end('down'));
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/` });
    expect(result).toMatchObject({ ok: false, error: 'http_status', status: 503 });
    expect(result.message).toBe('expected status 200-399, got 503');
  });

  it('accepts a status the check lists', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end());
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/`, expect: { status: ['4xx'] } });
    expect(result).toMatchObject({ ok: true, status: 404 });
  });

  describe('body assertions', () => {
    const document = { status: 'up', items: [{ state: 'green' }], 'odd key': 0, nothing: null };

    it('pass when the body holds what is expected', async () => {
      const server = await serve((_req, res) => json(res, document));
      const url = `http://127.0.0.1:${server.port}/`;
      const checks = [
        { bodyContains: '"status":"up"' },
        { bodyRegex: '"state":\\s*"gr[e]+n"' },
        { json: { path: '$.status', equals: 'up' } },
        { json: { path: '$.items[0].state', equals: 'green' } },
        { json: { path: '$["odd key"]' } },
        { json: { path: '$.nothing', equals: null } },
      ];
      for (const expectation of checks) {
        expect(await probeHttpSpec({ url, expect: expectation }), JSON.stringify(expectation)).toMatchObject({
          ok: true,
        });
      }
    });

    it('fail as assertion, saying what was expected and what was found', async () => {
      const server = await serve((_req, res) => json(res, document));
      const url = `http://127.0.0.1:${server.port}/`;
      const cases: [object, RegExp][] = [
        [{ bodyContains: 'degraded' }, /expected the body to contain "degraded"; it begins "\{\\"status/],
        [{ bodyRegex: '^<html' }, /expected the body to match \/\^<html\//],
        [{ json: { path: '$.status', equals: 'down' } }, /expected \$\.status to equal "down"; found "up"/],
        [{ json: { path: '$.items[3]' } }, /expected \$\.items\[3\] to exist; found nothing there/],
        [{ json: { path: '$.items[0].state', equals: 1 } }, /found "green"/],
      ];
      for (const [expectation, message] of cases) {
        const result = await probeHttpSpec({ url, expect: expectation });
        expect(result, JSON.stringify(expectation)).toMatchObject({ ok: false, error: 'assertion', status: 200 });
        expect(result.message).toMatch(message);
      }
    });

    it('fails a JSON assertion on a body that is not JSON', async () => {
      const server = await serve((_req, res) => res.end('<html>oops</html>'));
      const result = await probeHttpSpec({
        url: `http://127.0.0.1:${server.port}/`,
        expect: { json: { path: '$.a' } },
      });
      expect(result).toMatchObject({ ok: false, error: 'assertion' });
      expect(result.message).toContain('does not parse');
    });

    it('refuses a body larger than maxBodyBytes', async () => {
      const server = await serve((_req, res) => res.end('x'.repeat(5_000)));
      const result = await probeHttpSpec({
        url: `http://127.0.0.1:${server.port}/`,
        maxBodyBytes: 1_000,
        expect: { bodyContains: 'x' },
      });
      expect(result).toMatchObject({ ok: false, error: 'body_too_large', status: 200 });
      expect(result.message).toContain('1000 bytes');
    });
  });

  describe('redirects', () => {
    it('follows them to the final response', async () => {
      const server = await serve((req, res) => {
        if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
        else res.end(`at ${req.url}`);
      });
      const result = await probeHttpSpec({
        url: `http://127.0.0.1:${server.port}/old`,
        expect: { bodyContains: 'at /new' },
      });
      expect(result).toMatchObject({ ok: true, status: 200 });
    });

    it('treats a redirect as the response when maxRedirects is 0', async () => {
      const server = await serve((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
      const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/`, maxRedirects: 0 });
      expect(result).toMatchObject({ ok: true, status: 302 });
    });

    it('stops a loop as too_many_redirects', async () => {
      const server = await serve((req, res) => res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end());
      const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/a` });
      expect(result).toMatchObject({ ok: false, error: 'too_many_redirects' });
      expect(result.message).toContain('redirect loop');
    });

    it('stops an endless chain after maxRedirects hops', async () => {
      const server = await serve((req, res) => res.writeHead(307, { location: `${req.url}x` }).end());
      const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/`, maxRedirects: 3 });
      expect(result).toMatchObject({ ok: false, error: 'too_many_redirects' });
      expect(result.message).toContain('more than 3 redirects');
      expect(server.connections).toBe(4);
    });

    it('refuses a redirect to a loopback address the guard does not allow', async () => {
      const inside = await serve((_req, res) => res.end('secret'));
      const outside = await serve(
        (_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${inside.port}/admin` }).end(),
        '127.0.0.2',
      );
      const guard = new TargetGuard({ allowPrivateTargets: false, allowTargets: ['127.0.0.2/32'] });
      const result = await probeHttpSpec({ url: `http://127.0.0.2:${outside.port}/` }, { guard });
      expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
      expect(result.message).toContain('127.0.0.1 is a loopback address');
      expect(inside.connections).toBe(0);
    });
  });

  it('reports a refused connection as connect_refused', async () => {
    const port = await freePort();
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${port}/` });
    expect(result).toMatchObject({ ok: false, error: 'connect_refused', remoteAddress: '127.0.0.1' });
    expect(result.message).toContain('ECONNREFUSED');
  });

  it('reports a name that does not resolve as dns', async () => {
    const result = await probeHttpSpec({ url: 'http://nothing.invalid/' });
    expect(result).toMatchObject({ ok: false, error: 'dns' });
    expect(result.message).toContain('nothing.invalid');
  });

  it('reports a connection closed before any response as reset', async () => {
    const server = await serve((req) => req.socket.destroy());
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/` });
    expect(result).toMatchObject({ ok: false, error: 'reset' });
  });

  it('marks a response slower than maxMs as slow, still ok', async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end('ok'), 150));
    const result = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/`, expect: { maxMs: 50 } });
    expect(result).toMatchObject({ ok: true, slow: true });
    const fast = await probeHttpSpec({ url: `http://127.0.0.1:${server.port}/`, expect: { maxMs: 20_000 } });
    expect(fast.slow).toBeUndefined();
  });

  describe('allAddresses', () => {
    async function twoAddresses(second: (req: IncomingMessage, res: ServerResponse) => void) {
      const hosts: string[] = [];
      const first = await serve((req, res) => {
        hosts.push(req.headers.host ?? '');
        res.end('ok');
      });
      const other = await serve(second, '127.0.0.2', first.port);
      expect(other.port).toBe(first.port);
      return { port: first.port, hosts };
    }
    const resolve = async () => ['127.0.0.1', '127.0.0.2'];

    it('probes every address, keeping the name in Host', async () => {
      const { port, hosts } = await twoAddresses((_req, res) => res.end('ok'));
      const result = await probeHttpSpec({ url: `http://multi.test:${port}/`, allAddresses: true }, { resolve });
      expect(result.ok).toBe(true);
      expect(result.addresses?.map((sub) => [sub.address, sub.ok, sub.remoteAddress])).toEqual([
        ['127.0.0.1', true, '127.0.0.1'],
        ['127.0.0.2', true, '127.0.0.2'],
      ]);
      expect(hosts).toEqual([`multi.test:${port}`]);
    });

    it('fails when one address fails, naming it', async () => {
      const { port } = await twoAddresses((_req, res) => res.writeHead(500).end());
      const result = await probeHttpSpec({ url: `http://multi.test:${port}/`, allAddresses: true }, { resolve });
      expect(result).toMatchObject({ ok: false, error: 'http_status', status: 500 });
      expect(result.message).toMatch(/^1 of 2 addresses failing: 127\.0\.0\.2 http_status/);
      expect(result.addresses?.map((sub) => sub.ok)).toEqual([true, false]);
    });
  });

  it('sends the request to the address of a name that resolves through the system', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const result = await probeHttpSpec({ url: `http://localhost:${server.port}/` });
    expect(result).toMatchObject({ ok: true, remoteAddress: '127.0.0.1' });
  });
});
