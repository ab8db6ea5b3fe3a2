import { describe, expect, it } from 'vitest';
import { ALLOWED_TARGET_CORPUS, BLOCKED_TARGET_CORPUS } from '../testing/index.js';
import type { CorpusTarget } from './target-corpus.js';
import { TargetGuard } from './target-guard.js';
import { type PolicyTarget, targetPolicyIssues } from './target-policy.js';

const HINT = 'set allowPrivateTargets or list it under allowTargets';
const byDefault = new TargetGuard({ allowPrivateTargets: false, allowTargets: [] });

function asCheck(entry: CorpusTarget): PolicyTarget {
  return { http: entry.http === undefined ? undefined : { url: entry.http }, tcp: entry.tcp };
}

/** `[name, entry]` rows for `it.each`, named by the spelling and the value. */
function rows(corpus: readonly CorpusTarget[]): [string, CorpusTarget][] {
  return corpus.map((entry) => [`${entry.what} (${entry.http ?? entry.tcp?.host})`, entry]);
}

describe('targetPolicyIssues', () => {
  it.each(rows(BLOCKED_TARGET_CORPUS))('refuses %s', (_name, entry) => {
    const issues = targetPolicyIssues(asCheck(entry), byDefault);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      path: entry.http === undefined ? 'tcp.host' : 'http.url',
      message: expect.stringContaining(HINT),
      received: expect.any(String),
    });
  });

  it.each(rows(ALLOWED_TARGET_CORPUS))('allows %s', (_name, entry) => {
    expect(targetPolicyIssues(asCheck(entry), byDefault)).toEqual([]);
  });

  it('names the address, its range and the way to allow it', () => {
    expect(targetPolicyIssues({ http: { url: 'http://2130706433/' } }, byDefault)).toEqual([
      { path: 'http.url', message: `127.0.0.1 is a loopback address; ${HINT}`, received: '"http://2130706433/"' },
    ]);
    expect(targetPolicyIssues({ tcp: { host: '0x7f000001' } }, byDefault)).toEqual([
      { path: 'tcp.host', message: `127.0.0.1 is a loopback address; ${HINT}`, received: '"0x7f000001"' },
    ]);
    expect(targetPolicyIssues({ http: { url: 'http://localhost:3000/' } }, byDefault)[0]?.message).toBe(
      `localhost (always 127.0.0.1) is a loopback address; ${HINT}`,
    );
    const [metadata] = targetPolicyIssues({ http: { url: 'http://metadata.google.internal/' } }, byDefault);
    expect(metadata?.message).toContain('metadata.google.internal (the cloud metadata service, 169.254.169.254)');
    expect(metadata?.message).toContain('link-local');
  });

  it('reports the HTTP and the TCP target separately', () => {
    const issues = targetPolicyIssues({ http: { url: 'http://10.0.0.1/' }, tcp: { host: '::1' } }, byDefault);
    expect(issues.map((issue) => issue.path)).toEqual(['http.url', 'tcp.host']);
  });

  it('allows every target with allowPrivateTargets', () => {
    const guard = new TargetGuard({ allowPrivateTargets: true, allowTargets: [] });
    for (const entry of [...BLOCKED_TARGET_CORPUS, ...ALLOWED_TARGET_CORPUS]) {
      expect(targetPolicyIssues(asCheck(entry), guard), entry.what).toEqual([]);
    }
  });

  it('lets an allowTargets range through, and localhost with it, but nothing else', () => {
    const guard = new TargetGuard({ allowPrivateTargets: false, allowTargets: ['127.0.0.0/8'] });
    for (const url of ['http://127.0.0.1/', 'http://127.1/', 'http://2130706433/', 'http://localhost/']) {
      expect(targetPolicyIssues({ http: { url } }, guard), url).toEqual([]);
    }
    expect(targetPolicyIssues({ tcp: { host: 'foo.localhost' } }, guard)).toEqual([]);
    expect(targetPolicyIssues({ tcp: { host: '10.0.0.1' } }, guard)).toHaveLength(1);
    expect(targetPolicyIssues({ http: { url: 'http://metadata.google.internal/' } }, guard)).toHaveLength(1);
  });

  it('never refuses a host name it would have to ask DNS about', () => {
    for (const host of ['example.com', 'internal.corp', 'rebound.test', 'a.b.c.d']) {
      expect(targetPolicyIssues({ http: { url: `https://${host}/` }, tcp: { host } }, byDefault), host).toEqual([]);
    }
  });

  it('leaves a URL that does not parse to the schema', () => {
    expect(targetPolicyIssues({ http: { url: 'not a url' } }, byDefault)).toEqual([]);
  });
});
