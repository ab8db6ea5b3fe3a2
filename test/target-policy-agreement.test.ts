import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Check,
  isVigilError,
  type ProbeResult,
  parseConfig,
  TargetAllowances,
  TargetGuard,
  tokenInputSchema,
  type VigilConfig,
} from '@vigil/core';
import {
  ALLOWED_TARGET_CORPUS,
  BLOCKED_TARGET_CORPUS,
  type CorpusTarget,
  hasCredentials,
  testContext,
} from '@vigil/core/testing';
import { runProbe } from '@vigil/prober';
import { startDnsServer } from '@vigil/prober/testing';
import { buildApp, createWebContext } from '@vigil/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The three places the target policy lives must agree on every spelling of the shared SSRF corpus:
 * vigil.yaml at load (no DNS), the API at registration, and the prober's guard at connect time —
 * and `allowPrivateTarget: true` must open exactly one check's target at the prober, nothing else.
 */

/** What names mean by definition (RFC 6761 and the clouds' metadata names); public names get a public answer. */
const KNOWN: Record<string, string> = {
  localhost: '127.0.0.1',
  'metadata.google.internal': '169.254.169.254',
  'metadata.goog': '169.254.169.254',
  'instance-data': '169.254.169.254',
  'instance-data.ec2.internal': '169.254.169.254',
};
async function resolve(host: string): Promise<string[]> {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1'];
  const known = KNOWN[name];
  if (known) return [known];
  if (/^\d+$|^0x|^0\d|^[\d.]+$/i.test(name)) {
    // Numeric forms (`2130706433`, `0177.0.0.1`) as inet_aton reads them, through the WHATWG parser.
    return [new URL(`http://${name}/`).hostname];
  }
  return ['93.184.215.14'];
}

const blocked = BLOCKED_TARGET_CORPUS;
const fieldOf = (entry: CorpusTarget) => (entry.http !== undefined ? 'http.url' : 'tcp.host');

function checkYaml(id: string, entry: CorpusTarget, extra = ''): string {
  const target =
    entry.http !== undefined ? `http: { url: ${JSON.stringify(entry.http)} }` : `tcp: ${JSON.stringify(entry.tcp)}`;
  return `  - { id: ${id}, interval: 1m, timeout: 400ms, ${extra}${target} }`;
}

function load(yaml: string): { config?: VigilConfig; paths: string[] } {
  try {
    return { config: parseConfig(yaml), paths: [] };
  } catch (err) {
    if (!isVigilError(err, 'CONFIG_INVALID')) throw err;
    return { paths: err.issues.map((issue) => issue.path) };
  }
}

/** The check a probe job would carry for the entry, as stored (the schema's refusal of credentials aside). */
function storedCheck(id: string, entry: CorpusTarget): Check {
  const placeholder: CorpusTarget = entry.http !== undefined ? { what: '', http: 'http://stored.invalid/' } : entry;
  const { config } = load(`vantages: [alpha]\nallowPrivateTargets: true\nchecks:\n${checkYaml(id, placeholder)}\n`);
  const check = config?.checks[0];
  if (!check) throw new Error(`fixture for ${entry.what} did not load`);
  return entry.http !== undefined && check.http ? { ...check, http: { ...check.http, url: entry.http } } : check;
}

function probe(check: Check, guard: TargetGuard): Promise<ProbeResult> {
  return runProbe({ ...check, timeoutMs: 400 }, { vantage: 'alpha', round: Date.now(), guard, resolve });
}

/** The web API of a one-vantage fleet under a fresh prefix, and an admin token's header for it. */
async function startAdminApi(name: string) {
  const base = await testContext(name);
  const ctx = createWebContext(base, {
    config: parseConfig('vantages: [alpha]'),
    secret: 'test-secret-0123456789abcdef',
  });
  const app = buildApp(ctx);
  await app.ready();
  const { token } = await ctx.tokens.create(tokenInputSchema.parse({ owner: 'ops', scope: 'admin' }), {
    now: Date.now(),
    createdBy: 'test',
  });
  return {
    app,
    auth: { authorization: `Bearer ${token}` },
    async cleanup(): Promise<void> {
      await app.close();
      await base.cleanup();
    },
  };
}
type AdminApi = Awaited<ReturnType<typeof startAdminApi>>;

const fleetGuard = new TargetGuard({ allowPrivateTargets: false, allowTargets: [] });
const counts = { blocked: 0, allowed: 0, agreementCases: 0 };

/**
 * The config's first check probed through the guard its own `allowPrivateTarget` gives it (there must
 * be one), with the fleet allowing no private target; the allowances, to try other checks against.
 */
async function probeWithItsAllowance(config: VigilConfig) {
  const allowances = new TargetAllowances({
    allowPrivateTargets: false,
    allowTargets: [],
    allowances: config.privateTargetAllowances,
  });
  const check = config.checks[0] as Check;
  const guard = allowances.guardFor(check);
  expect(guard, 'the allowance applies to its own check').toBeDefined();
  return { allowances, check, result: await probe(check, guard ?? fleetGuard) };
}

describe('target policy: config load, API and prober agree on the SSRF corpus', () => {
  let app: AdminApi['app'];
  let auth: AdminApi['auth'];
  let cleanup: AdminApi['cleanup'];
  beforeAll(async () => {
    ({ app, auth, cleanup } = await startAdminApi('agreement'));
  });
  afterAll(async () => {
    await cleanup();
    // The closing note's numbers.
    console.log(
      `SSRF corpus: ${blocked.length} blocked entries, ${ALLOWED_TARGET_CORPUS.length} allowed; ` +
        `${counts.agreementCases} agreement cases (${counts.blocked} refused, ${counts.allowed} let through)`,
    );
  });

  async function apiStatus(id: string, entry: CorpusTarget, extra: Record<string, unknown> = {}) {
    const response = await app.inject({
      method: 'PUT',
      url: `/api/v1/checks/${id}`,
      headers: auth,
      payload: {
        id,
        interval: '1m',
        ...(entry.http !== undefined ? { http: { url: entry.http } } : { tcp: entry.tcp }),
        ...extra,
      },
    });
    const issues = response.statusCode === 400 ? (response.json().error.issues as { path: string }[]) : [];
    return { status: response.statusCode, paths: issues.map((issue) => issue.path) };
  }

  it.each(blocked.map((entry, i) => [entry.what, entry.http ?? entry.tcp?.host, i] as const))(
    'refuses %s (%s) at load, at the API and at the prober',
    async (_what, _target, i) => {
      const entry = blocked[i] as CorpusTarget;
      const at = `checks[3].${fieldOf(entry)}`;
      const filler = [0, 1, 2].map((n) => `  - { id: public-${n}, http: { url: "https://example.com/${n}" } }`);
      const loaded = load(`vantages: [alpha]\nchecks:\n${filler.join('\n')}\n${checkYaml('target', entry)}\n`);
      expect(loaded.paths, 'config load').toEqual([at]);
      const api = await apiStatus(`blocked-${i}`, entry);
      expect(api, 'API').toEqual({ status: 400, paths: [fieldOf(entry)] });
      const result = await probe(storedCheck('target', entry), fleetGuard);
      expect(result.error, `prober: ${result.message}`).toBe('blocked_target');
      counts.blocked += 3;
      counts.agreementCases += 3;
    },
  );

  const blockedHosts = blocked.flatMap((entry) => (entry.tcp ? [[entry.what, entry.tcp.host] as const] : []));
  it.each(blockedHosts)(
    'refuses %s (%s) as an ICMP host at load, at the API and at the prober',
    async (_what, host) => {
      const icmp = `icmp: { host: ${JSON.stringify(host)} }`;
      const loaded = load(`vantages: [alpha]\nchecks:\n  - { id: target, interval: 1m, timeout: 400ms, ${icmp} }\n`);
      expect(loaded.paths, 'config load').toEqual(['checks[0].icmp.host']);
      const id = `icmp-${blockedHosts.findIndex((entry) => entry[1] === host)}`;
      const response = await app.inject({
        method: 'PUT',
        url: `/api/v1/checks/${id}`,
        headers: auth,
        payload: { id, interval: '1m', icmp: { host } },
      });
      expect(response.statusCode, 'API').toBe(400);
      expect(response.json().error.issues.map((issue: { path: string }) => issue.path)).toEqual(['icmp.host']);
      const stored = load(`vantages: [alpha]\nallowPrivateTargets: true\nchecks:\n  - { id: target, ${icmp} }\n`);
      const check = stored.config?.checks[0] as Check;
      const result = await probe(check, fleetGuard);
      expect(result.error, `prober: ${result.message}`).toBe('blocked_target');
      expect(result.icmp, 'nothing pinged').toBeUndefined();
      counts.blocked += 3;
      counts.agreementCases += 3;
    },
  );

  it.each(ALLOWED_TARGET_CORPUS.map((entry, i) => [entry.what, entry.http ?? entry.tcp?.host, i] as const))(
    'lets %s (%s) through at load, at the API and at the prober',
    async (_what, _target, i) => {
      const entry = ALLOWED_TARGET_CORPUS[i] as CorpusTarget;
      const loaded = load(`vantages: [alpha]\nchecks:\n${checkYaml('target', entry)}\n`);
      expect(loaded.paths, 'config load').toEqual([]);
      expect(await apiStatus(`allowed-${i}`, entry), 'API').toEqual({ status: 201, paths: [] });
      const result = await probe(storedCheck('target', entry), fleetGuard);
      expect(result.error, `prober: ${result.message}`).not.toBe('blocked_target');
      counts.allowed += 3;
      counts.agreementCases += 3;
    },
  );

  it.each(blocked.map((entry, i) => [entry.what, entry.http ?? entry.tcp?.host, i] as const))(
    'with allowPrivateTarget: true, %s (%s) is let through for that check only',
    async (_what, _target, i) => {
      const entry = blocked[i] as CorpusTarget;
      const loaded = load(`vantages: [alpha]\nchecks:\n${checkYaml('allowed', entry, 'allowPrivateTarget: true, ')}\n`);
      if (hasCredentials(entry)) {
        // Refused for its credentials before any policy: nothing to allow.
        expect(loaded.paths).toEqual(['checks[0].http.url']);
        counts.blocked += 1;
        counts.agreementCases += 1;
        return;
      }
      expect(loaded.paths, 'config load').toEqual([]);
      const config = loaded.config as VigilConfig;
      const { allowances, check, result } = await probeWithItsAllowance(config);
      expect(result.error, `prober, allowed check: ${result.message}`).not.toBe('blocked_target');
      // Another check id with the very same target, and the same id with another target, stay refused.
      expect(allowances.guardFor({ ...check, id: 'other' })).toBeUndefined();
      const moved: Check =
        check.kind === 'http'
          ? { ...check, http: { ...check.http, url: 'http://10.9.9.9/' } }
          : check.kind === 'tcp'
            ? { ...check, tcp: { ...check.tcp, port: 1 } }
            : check.kind === 'dns'
              ? { ...check, dns: { ...check.dns, server: '10.9.9.9' } }
              : check.kind === 'icmp'
                ? { ...check, icmp: { ...check.icmp, host: '10.9.9.9' } }
                : check;
      expect(allowances.guardFor(moved)).toBeUndefined();
      const other = await probe(
        { ...check, id: 'other' },
        allowances.guardFor({ ...check, id: 'other' }) ?? fleetGuard,
      );
      expect(other.error, 'prober, other check id').toBe('blocked_target');
      // The API never takes the allowance.
      const api = await apiStatus(`allowance-${i}`, entry, { allowPrivateTarget: true });
      expect(api.status, 'API with allowPrivateTarget').toBe(400);
      counts.allowed += 2;
      counts.blocked += 3;
      counts.agreementCases += 5;
    },
  );
});

describe('allowPrivateTarget opens exactly its target', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/hop') response.writeHead(302, { location: 'http://10.0.0.1/' }).end();
      else if (request.url === '/other-port') response.writeHead(302, { location: `http://127.0.0.2:${port}/` }).end();
      else response.end('ok');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  function allowed(url: string) {
    const config = parseConfig(
      `vantages: [alpha]\nchecks:\n  - { id: local, allowPrivateTarget: true, http: { url: "${url}" } }\n`,
    );
    const allowances = new TargetAllowances({
      allowPrivateTargets: false,
      allowTargets: [],
      allowances: config.privateTargetAllowances,
    });
    const check = config.checks[0] as Check;
    return { check, guard: allowances.guardFor(check) ?? fleetGuard };
  }

  it('probes the loopback target it names', async () => {
    const { check, guard } = allowed(`http://127.0.0.1:${port}/`);
    expect(await probe(check, guard)).toMatchObject({ ok: true });
  });

  it('still refuses a redirect to a private address it does not name', async () => {
    const { check, guard } = allowed(`http://127.0.0.1:${port}/hop`);
    const result = await probe(check, guard);
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toContain('10.0.0.1');
    const elsewhere = await probe(allowed(`http://127.0.0.1:${port}/other-port`).check, guard);
    expect(elsewhere).toMatchObject({ ok: false, error: 'blocked_target' });
  });

  it('is refused on a name only DNS could resolve, with its path', () => {
    const text =
      'vantages: [alpha]\nchecks:\n  - { id: db, allowPrivateTarget: true, tcp: { host: db.internal, port: 5432 } }\n';
    expect(load(text).paths).toEqual(['checks[0].allowPrivateTarget']);
  });

  it('is not needed, nor recorded, when allowPrivateTargets is set for the fleet', () => {
    const config = parseConfig(
      `vantages: [alpha]\nallowPrivateTargets: true\nchecks:\n  - { id: local, http: { url: "http://127.0.0.1:${port}/" } }\n`,
    );
    expect(config.privateTargetAllowances).toEqual([]);
  });
});

/** A DNS check's resolver written as the corpus's TCP host (IPv6 in brackets, as `host:port` needs them). */
function resolverOf(entry: CorpusTarget): string {
  const host = entry.tcp?.host ?? '';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${entry.tcp?.port}` : `${host}:${entry.tcp?.port}`;
}

describe('target policy: a DNS check’s resolver is vetted like any host, at load, at the API and at the prober', () => {
  const resolvers = blocked.filter((entry) => entry.tcp !== undefined);
  let app: AdminApi['app'];
  let auth: AdminApi['auth'];
  let cleanup: AdminApi['cleanup'];
  beforeAll(async () => {
    ({ app, auth, cleanup } = await startAdminApi('agreement-dns'));
  });
  afterAll(() => cleanup());

  it('covers every TCP spelling of the corpus', () => {
    expect(resolvers.length).toBeGreaterThan(20);
  });

  it.each(resolvers.map((entry, i) => [entry.what, resolverOf(entry), i] as const))(
    'refuses %s (%s) as a resolver',
    async (_what, server, i) => {
      const loaded = load(
        `vantages: [alpha]\nchecks:\n  - { id: r, dns: { name: example.com, server: ${JSON.stringify(server)} } }\n`,
      );
      expect(loaded.paths, 'config load').toEqual(['checks[0].dns.server']);
      const response = await app.inject({
        method: 'PUT',
        url: `/api/v1/checks/dns-${i}`,
        headers: auth,
        payload: { id: `dns-${i}`, interval: '1m', dns: { name: 'example.com', server } },
      });
      expect(response.statusCode, 'API').toBe(400);
      expect((response.json().error.issues as { path: string }[]).map((issue) => issue.path)).toEqual(['dns.server']);
      const stored = load(
        'vantages: [alpha]\nallowPrivateTargets: true\nchecks:\n  - { id: r, dns: { name: example.com, server: "192.0.2.53" } }\n',
      ).config?.checks[0];
      if (stored?.kind !== 'dns') throw new Error('fixture did not load');
      const result = await probe({ ...stored, dns: { ...stored.dns, server } }, fleetGuard);
      expect(result.error, `prober: ${result.message}`).toBe('blocked_target');
    },
  );
});

describe('allowPrivateTarget opens exactly a DNS check’s own resolver', () => {
  it('lets that check ask its loopback resolver, and no other check the same resolver', async () => {
    const server = await startDnsServer((question) => ({
      answers: [{ type: 'A', name: question?.name ?? '', ttl: 60, data: '192.0.2.1' }],
    }));
    try {
      const config = parseConfig(
        `vantages: [alpha]\nchecks:\n  - { id: local-dns, allowPrivateTarget: true, dns: { name: www.example.test, server: "127.0.0.1:${server.port}" } }\n`,
      );
      const { allowances, check, result } = await probeWithItsAllowance(config);
      expect(result).toMatchObject({ ok: true, dns: { answers: ['192.0.2.1'] } });
      const other = { ...check, id: 'other' };
      expect(allowances.guardFor(other)).toBeUndefined();
      expect((await probe(other, fleetGuard)).error).toBe('blocked_target');
      expect(server.questions).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
