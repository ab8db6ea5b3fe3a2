import { writeFile } from 'node:fs/promises';
import type { Check, CheckRegistry } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runVigil, startTestApi, type TestApi, writeConfig } from './support/vigil-process.js';

/** vigil.yaml as an operator writes it; the options are what the tests edit. */
function vigilYaml(
  options: {
    lbInterval?: string;
    maxMs?: number;
    withLb?: boolean;
    maintenanceEnd?: string;
    withMaintenance?: boolean;
  } = {},
): string {
  const lb = `
  - id: lb-ip-1
    name: LB 5.104.101.30:443
    component: lb
    interval: ${options.lbInterval ?? '30s'}
    tcp: { host: 5.104.101.30, port: 443, tls: true }`;
  return `
vantages: [alpha, beta, gamma]
components:
  - { id: api, name: Public API }
  - { id: lb, name: Load balancers }
checks:
  - id: api-health
    name: API health
    component: api
    http:
      url: https://api.example.com/health
      headers: { Authorization: "Bearer \${API_SECRET}", Accept: application/json }
      expect: { status: ["200-299"], bodyContains: ok, maxMs: ${options.maxMs ?? 2000} }
    tags: [edge]${options.withLb === false ? '' : lb}
maintenances:${
    options.withMaintenance === false
      ? ' []'
      : `
  - id: api-upgrade
    title: API upgrade
    checks: [api-health]
    start: "2026-12-01T01:00:00Z"
    end: "${options.maintenanceEnd ?? '2026-12-01T03:00:00Z'}"`
  }
`;
}

/** Everything apply may touch under the prefix (rate-limit counters and tokens' last use aside): types and values. */
async function snapshot(api: TestApi): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await api.redis.scan(cursor, 'MATCH', `${api.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      // A token's last use is noted as it is verified, whatever apply then refuses.
      if (key.startsWith(`${api.prefix}:rate:`) || key === `${api.prefix}:tokens:last-used`) continue;
      const type = await api.redis.type(key);
      if (type === 'hash') state[key] = await api.redis.hgetall(key);
      else if (type === 'set') state[key] = (await api.redis.smembers(key)).sort();
      else if (type === 'string') state[key] = await api.redis.get(key);
      else state[key] = type;
    }
  } while (cursor !== '0');
  return state;
}

describe('vigil apply', { timeout: 90_000 }, () => {
  let api: TestApi;
  let env: Record<string, string>;
  let registry: CheckRegistry;
  let file: string;
  const apply = (...args: string[]) => runVigil(['apply', '-f', file, ...args], { env });
  const stored = async (id: string): Promise<Check | undefined> => registry.get(id);

  beforeEach(async () => {
    api = await startTestApi();
    env = { ...api.env(await api.token({ owner: 'platform', scope: 'admin' })), API_SECRET: 's3cret-one' };
    registry = api.ctx.checks;
    file = await writeConfig(vigilYaml());
  });
  afterEach(async () => {
    await api.close();
  });

  it('creates, then a second apply changes nothing; an edit changes exactly that', async () => {
    const dry = await apply('--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(await stored('api-health')).toBeUndefined();

    const first = await apply();
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('+ check api-health\n+ check lb-ip-1\n+ maintenance api-upgrade\n');
    expect(first.output).toContain('3 to create, 0 to change, 0 to delete');
    expect(first.output).not.toContain('s3cret-one');
    expect(await stored('api-health')).toMatchObject({
      owner: 'platform',
      http: { headers: { Authorization: 'Bearer s3cret-one' }, expect: { maxMs: 2000 } },
    });
    expect(await stored('lb-ip-1')).toMatchObject({ intervalMs: 30_000, tcp: { host: '5.104.101.30', port: 443 } });

    const before = await snapshot(api);
    const second = await apply();
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('Nothing to change');
    expect(await snapshot(api)).toEqual(before);

    await writeFile(file, vigilYaml({ lbInterval: '10s', maxMs: 1000, maintenanceEnd: '2026-12-01T04:00:00Z' }));
    const edited = await apply();
    expect(edited.code, edited.output).toBe(0);
    expect(edited.output).toContain(
      [
        '~ check api-health: http.expect.maxMs 2000 → 1000',
        '~ check lb-ip-1: interval 30s → 10s',
        '~ maintenance api-upgrade: end 2026-12-01T03:00:00.000Z → 2026-12-01T04:00:00.000Z',
        '0 to create, 3 to change, 0 to delete (0 up to date).',
      ].join('\n'),
    );
    expect(await stored('lb-ip-1')).toMatchObject({ intervalMs: 10_000 });
    expect(await stored('api-health')).toMatchObject({ http: { expect: { maxMs: 1000 } } });

    // A secret changes through the environment: shown as changed, never shown.
    env = { ...env, API_SECRET: 's3cret-two' };
    const rotated = await apply('--json');
    expect(rotated.code, rotated.output).toBe(0);
    expect(rotated.output).not.toContain('s3cret');
    expect(JSON.parse(rotated.output)).toMatchObject({
      applied: true,
      changes: [
        {
          op: 'change',
          kind: 'check',
          id: 'api-health',
          fields: [{ path: 'http.headers.Authorization', hidden: true }],
        },
      ],
      summary: { create: 0, change: 1, delete: 0, unchanged: 2 },
    });
    expect((await stored('api-health'))?.http?.headers.Authorization).toBe('Bearer s3cret-two');
  });

  it('deletes what the file no longer has only with --prune, and only the token owner’s API checks', async () => {
    expect((await apply()).code).toBe(0);
    await registry.put({ ...((await stored('lb-ip-1')) as Check), id: 'other-team', owner: 'team-b' });
    await writeFile(file, vigilYaml({ withLb: false }));

    const kept = await apply();
    expect(kept.code, kept.output).toBe(0);
    expect(kept.output).toContain('Nothing to change');
    expect(kept.output).toContain('Not in the file, left alone (--prune deletes them): check lb-ip-1.');
    expect(await stored('lb-ip-1')).toBeDefined();

    const before = await snapshot(api);
    const dry = await apply('--prune', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain('- check lb-ip-1\n0 to create, 0 to change, 1 to delete');
    expect(dry.output).toContain('Dry run: nothing was written.');
    expect(await snapshot(api)).toEqual(before);

    await writeFile(file, vigilYaml({ withLb: false, withMaintenance: false }));
    const pruned = await apply('--prune');
    expect(pruned.code, pruned.output).toBe(0);
    expect(pruned.output).toContain('- maintenance api-upgrade\n- check lb-ip-1\n');
    expect(await stored('lb-ip-1')).toBeUndefined();
    expect(await api.redis.hexists(api.keys.maintenances, 'api-upgrade')).toBe(0);
    // Another owner's check and the server's own vigil.yaml check stay.
    expect(await stored('other-team')).toBeDefined();
    expect(await stored('from-config')).toBeDefined();
    expect((await apply('--prune')).output).toContain('Nothing to change');
  });

  it('a bad file names checks[i].field, locally or from the server, and writes nothing', async () => {
    const before = await snapshot(api);
    await writeFile(
      file,
      vigilYaml().replace('url: https://api.example.com/health', 'url: ftp://api.example.com/health'),
    );
    const local = await apply();
    expect(local.code).toBe(2);
    expect(local.output.trim()).toBe(
      `vigil: ${file} checks[0].http.url: expected an http:// or https:// URL (got "ftp://api.example.com/health")`,
    );

    // Declared in the file, unknown to the server's config: the server's path, placed in the file.
    await writeFile(
      file,
      vigilYaml({ withLb: false })
        .replace('{ id: lb, name: Load balancers }', '{ id: db, name: Databases }')
        .replace('component: api', 'component: db'),
    );
    const remote = await apply();
    expect(remote.code).toBe(2);
    expect(remote.output).toContain(
      `vigil: ${file} checks[0].component: expected the id of a declared component (got "db")`,
    );
    expect(await snapshot(api)).toEqual(before);

    const unset = await runVigil(['apply', '-f', await writeConfig(vigilYaml())], {
      env: { ...env, API_SECRET: '' },
    });
    expect(unset.code).toBe(2);
    expect(unset.output).toContain('checks[0].http.headers.Authorization: environment variable API_SECRET is not set');
  });

  it('refuses a private target, and allowPrivateTarget, with the field path, and writes nothing', async () => {
    const before = await snapshot(api);
    await writeFile(file, vigilYaml().replace('url: https://api.example.com/health', 'url: http://0x7f000001:8080/'));
    const loopback = await apply();
    expect(loopback.code).toBe(2);
    expect(loopback.output).toContain(`vigil: ${file} checks[0].http.url: 127.0.0.1 is a loopback address`);

    await writeFile(
      file,
      vigilYaml()
        .replace('url: https://api.example.com/health', 'url: http://127.0.0.1:8080/\n      ')
        .replace('    component: api\n', '    component: api\n    allowPrivateTarget: true\n'),
    );
    const allowance = await apply();
    expect(allowance.code).toBe(2);
    expect(allowance.output).toContain(
      `${file} checks[0].allowPrivateTarget: check api-health: only the server's own vigil.yaml may allow a private target`,
    );
    expect(await snapshot(api)).toEqual(before);
  });

  it('refuses to take over a check of another owner or one from the server’s vigil.yaml', async () => {
    const template = (await stored('from-config')) as Check;
    await registry.put({ ...template, id: 'api-health', name: 'theirs', owner: 'team-b' });
    const taken = await apply();
    expect(taken.code).toBe(2);
    expect(taken.output.trim()).toBe(
      `vigil: ${file} checks[0].id: check api-health belongs to team-b, not to this token's owner platform; pick another id`,
    );
    expect(await stored('lb-ip-1')).toBeUndefined(); // refused before anything was written

    // A token that cannot see the check learns only that the id is taken.
    const writer = await api.token({ owner: 'team-c', scope: 'write', quota: { minInterval: '10s' } });
    const hidden = await runVigil(['apply', '-f', file], { env: { ...api.env(writer), API_SECRET: 'x' } });
    expect(hidden.code).toBe(2);
    expect(hidden.output).toContain(
      `${file} checks[0].id: check api-health already exists and belongs to another owner; pick another id`,
    );

    const declared = await runVigil(
      [
        'apply',
        '-f',
        await writeConfig(
          'vantages: [alpha]\ncomponents: [{ id: api, name: API }]\nchecks:\n  - { id: from-config, component: api, http: { url: "https://elsewhere.example.com/" } }\n',
        ),
      ],
      { env },
    );
    expect(declared.code).toBe(2);
    expect(declared.output).toContain("checks[0].id: check from-config is declared in the server's own vigil.yaml");
  });
});
