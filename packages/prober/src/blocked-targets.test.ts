import { TargetGuard } from '@vigil/core';
import { BLOCKED_TARGET_CORPUS } from '@vigil/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemResolver } from './net/resolve.js';
import {
  probeHttpSpec,
  probeStoredUrl,
  probeTcpSpec,
  startHttpServer,
  strictGuard,
  type TestServer,
} from './test-servers.js';

/** What the corpus's names mean by definition (RFC 6761, the clouds' metadata names); the rest goes to the OS. */
const BY_DEFINITION: Record<string, string> = {
  'localhost.': '127.0.0.1',
  'foo.localhost': '127.0.0.1',
  'a.localhost': '127.0.0.1',
  'metadata.google.internal': '169.254.169.254',
  'metadata.goog': '169.254.169.254',
  'instance-data': '169.254.169.254',
  'instance-data.ec2.internal': '169.254.169.254',
};
const resolveByDefinition = async (host: string) => {
  const address = BY_DEFINITION[host] ?? BY_DEFINITION[host.toLowerCase().replace(/\.$/, '')];
  return address ? [address] : systemResolver(host);
};

describe('targets the guard refuses, through the probe', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => res.end('internal'));
  });
  afterAll(async () => {
    await server.close();
  });

  const httpForms = (port: number) => [
    `http://2130706433:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://localhost:${port}/`,
    `http://127.1:${port}/`,
  ];

  it('refuses every spelling of loopback as blocked_target without connecting', async () => {
    for (const url of httpForms(server.port)) {
      const result = await probeHttpSpec({ url }, { guard: strictGuard });
      expect(result, url).toMatchObject({ ok: false, error: 'blocked_target' });
      expect(result.message, url).toMatch(/loopback address; set allowPrivateTargets or list it under allowTargets/);
    }
    expect(server.connections).toBe(0);
  });

  it('refuses a TCP host written as a decimal or hex number', async () => {
    for (const host of ['2130706433', '0x7f000001', '::ffff:127.0.0.1', 'localhost']) {
      const result = await probeTcpSpec({ host, port: server.port }, { guard: strictGuard });
      expect(result, host).toMatchObject({ ok: false, error: 'blocked_target' });
      expect(result.message, host).toContain('127.0.0.1');
    }
    expect(server.connections).toBe(0);
  });

  const corpusOptions = { guard: strictGuard, resolve: resolveByDefinition, timeoutMs: 1_000 };
  const corpusUrls = BLOCKED_TARGET_CORPUS.flatMap((entry) => (entry.http ? [[entry.what, entry.http]] : []));
  const corpusTcp = BLOCKED_TARGET_CORPUS.flatMap((entry) => (entry.tcp ? [[entry.what, entry.tcp] as const] : []));

  it.each(corpusUrls)('refuses the shared corpus URL, %s (%s)', async (_what, url) => {
    const result = await probeStoredUrl(url ?? '', corpusOptions);
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toContain('set allowPrivateTargets or list it under allowTargets');
  });

  it.each(corpusTcp)('refuses the shared corpus TCP target, %s', async (_what, target) => {
    const result = await probeTcpSpec(target, corpusOptions);
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toContain('set allowPrivateTargets or list it under allowTargets');
  });

  it('refuses the cloud metadata address', async () => {
    const result = await probeHttpSpec({ url: 'http://169.254.169.254/latest/meta-data/' }, { guard: strictGuard });
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toContain('link-local');
  });

  it('refuses a name when any of its addresses is private, even after a public one', async () => {
    const resolve = async () => ['93.184.215.14', '127.0.0.1'];
    const result = await probeHttpSpec({ url: `http://rebound.test:${server.port}/` }, { guard: strictGuard, resolve });
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toBe(
      'rebound.test resolved to 127.0.0.1 is a loopback address; set allowPrivateTargets or list it under allowTargets',
    );
    expect(server.connections).toBe(0);
  });

  it('re-resolves on every probe, so a name that rebinds to a private address is caught', async () => {
    const guard = new TargetGuard({ allowPrivateTargets: false, allowTargets: ['127.0.0.0/8'] });
    let answer = '127.0.0.1';
    const resolve = async () => [answer];
    const url = `http://rebinding.test:${server.port}/`;
    expect(await probeHttpSpec({ url }, { guard, resolve })).toMatchObject({ ok: true });
    answer = '10.0.0.1';
    const refused = await probeHttpSpec({ url }, { guard, resolve });
    expect(refused).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(refused.message).toContain('10.0.0.1 is a private address');
  });
});
