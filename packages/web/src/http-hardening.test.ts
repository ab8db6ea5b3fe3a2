import { afterAll, describe, expect, it } from 'vitest';
import { dumpPrefix, testWebApp } from './testing.js';

const t = await testWebApp();
afterAll(() => t.cleanup());

/** Every route the app serves, with its methods, read from Fastify's own route tree. */
function servedRoutes(): { path: string; methods: string[] }[] {
  const stack: string[] = [];
  return t.app
    .printRoutes()
    .split('\n')
    .flatMap((line) => {
      const match = /^([\s─│├└]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!match) return [];
      const depth = (match[1] ?? '').length / 4;
      stack.length = depth;
      stack.push(match[2] ?? '');
      return match[3] ? [{ path: stack.join(''), methods: match[3].split(', ') }] : [];
    });
}
const concrete = (path: string) => path.replace(/:\w+/g, 'x').replace(/\*$/, 'x');

describe('HTTP edges of every route', () => {
  const routes = servedRoutes();

  it('reads a route table that holds the public site and the API', () => {
    const paths = routes.map((route) => route.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/', '/history.atom', '/history.rss', '/api/v1/checks', '/ack/:token']),
    );
  });

  it('answers a malformed Host header with 400 naming the header, on every route', async () => {
    const hosts = ['x:abc', 'a b', '[zz]', 'x:99999', 'x/y', 'a@b'];
    for (const { path, methods } of routes) {
      for (const host of hosts) {
        const method = methods.includes('GET') ? 'GET' : (methods[0] as 'POST');
        const response = await t.app.inject({ method, url: concrete(path), headers: { host } });
        const said = `${method} ${path} with Host ${JSON.stringify(host)} → ${response.statusCode}`;
        expect(response.statusCode, said).toBe(400);
        expect(response.json(), said).toMatchObject({
          error: { code: 'VALIDATION', issues: [{ path: 'host', in: 'headers' }] },
        });
      }
    }
  });

  it('still serves a well-formed Host: a name, an address, a port, IPv6', async () => {
    for (const host of [
      'status.example.com',
      'status.example.com:8443',
      '127.0.0.1:8080',
      '[::1]:8080',
      'localhost.',
    ]) {
      const response = await t.app.inject({ url: '/history.atom', headers: { host } });
      expect(response.statusCode, host).toBe(200);
    }
  });

  it('HEAD changes nothing on any route', async () => {
    const before = await dumpPrefix(t.ctx);
    for (const { path, methods } of routes.filter((route) => route.methods.includes('GET'))) {
      const response = await t.app.inject({ method: 'HEAD', url: concrete(path) });
      expect(response.statusCode, `HEAD ${path} (${methods.join(', ')})`).toBeLessThan(500);
    }
    const after = await dumpPrefix(t.ctx);
    const keys = (dump: typeof before) => dump.map((entry) => `${entry.key} ${entry.value?.toString('hex')}`).sort();
    expect(keys(after)).toEqual(keys(before));
  });

  it('says nosniff on every answer, and no-store on the operator API', async () => {
    for (const url of ['/', '/api/v2/summary.json', '/history.atom', '/history.rss', '/api/v1/checks']) {
      const response = await t.app.inject({ url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
    }
    const api = await t.app.inject({ url: '/api/v1/checks' });
    expect(api.headers['cache-control']).toBe('no-store');
  });

  it('does not serve /metrics on the public listener (it has a listener of its own)', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await t.app.inject({ method, url: '/metrics' });
      expect(response.statusCode, method).toBe(404);
      expect(response.body).not.toContain('process_cpu');
    }
  });
});
