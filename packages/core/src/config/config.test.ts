import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../runtime/env.js';
import { configError } from '../testing/index.js';
import { loadConfig, parseConfig } from './config.js';
import { parseDuration } from './duration.js';

describe('vigil.yaml', () => {
  it('applies defaults and per-check overrides', () => {
    const config = parseConfig(`
vantages: [eu-west, { id: gamma, sourceAddress: 127.0.0.3 }]
defaults: { interval: 1m, timeout: 5s, confirmations: 3 }
components: [{ id: api, name: Public API }]
checks:
  - id: api-health
    component: api
    http: { url: "https://api.example.com/health", expect: { status: ["200-299", 2xx, 301], bodyContains: ok } }
  - id: lb-ip-1
    interval: 10s
    quorum: all
    vantages: [gamma]
    tcp: { host: 5.104.101.30, port: 443, tls: true }
`);
    expect(config.vantages).toEqual([{ id: 'eu-west' }, { id: 'gamma', sourceAddress: '127.0.0.3' }]);
    const [api, lb] = config.checks;
    expect(api).toMatchObject({
      kind: 'http',
      intervalMs: 60_000,
      timeoutMs: 5_000,
      confirmations: 3,
      quorum: 'majority',
      vantages: [],
    });
    expect(api?.http?.expect.status).toEqual([
      { min: 200, max: 299 },
      { min: 200, max: 299 },
      { min: 301, max: 301 },
    ]);
    expect(lb).toMatchObject({
      kind: 'tcp',
      intervalMs: 10_000,
      quorum: 'all',
      vantages: ['gamma'],
      tcp: { port: 443, tls: true },
    });
  });

  it('names the field, the value and what was expected', () => {
    const err = configError(`
vantages: [a]
checks:
  - { id: Bad_Id, http: { url: "ftp://x" }, interval: 3 }
  - { id: ok, tcp: { host: h, port: 99999 }, colour: red }
`);
    expect(err.message).toContain('checks[0].id: expected a slug');
    expect(err.message).toContain('(got "Bad_Id")');
    expect(err.message).toContain('checks[0].http.url: expected an http:// or https:// URL (got "ftp://x")');
    expect(err.message).toContain('checks[0].interval: expected a duration such as 30s, 5m or 1h (got 3)');
    expect(err.message).toContain('checks[1].tcp.port: expected a port from 1 to 65535');
    expect(err.message).toContain('checks[1]: unknown field colour');
  });

  it('bounds the delivery takeover from 1s to 10m, 30s by default, naming the field', () => {
    expect(parseConfig('vantages: [a]\n').notifier.delivery.takeoverAfter).toBe(30_000);
    expect(
      parseConfig('vantages: [a]\nnotifier: { delivery: { takeoverAfter: 2s } }\n').notifier.delivery,
    ).toMatchObject({ takeoverAfter: 2_000 });
    for (const value of ['500ms', '11m'])
      expect(configError(`vantages: [a]\nnotifier: { delivery: { takeoverAfter: ${value} } }\n`).message).toContain(
        'notifier.delivery.takeoverAfter: expected a duration from 1s to 10m',
      );
  });

  it('bounds how often latency sums are merged from 1m to 1h, 15m by default, naming the field', () => {
    expect(parseConfig('vantages: [a]\n').notifier.latencyMergeEvery).toBe(900_000);
    expect(parseConfig('vantages: [a]\nnotifier: { latencyMergeEvery: 1h }\n').notifier.latencyMergeEvery).toBe(
      3_600_000,
    );
    for (const value of ['30s', '2h'])
      expect(configError(`vantages: [a]\nnotifier: { latencyMergeEvery: ${value} }\n`).message).toContain(
        'notifier.latencyMergeEvery: expected a duration from 1m to 1h',
      );
  });

  it('checks what spans fields: vantages, components, timeout against interval, duplicates', () => {
    const err = configError(`
vantages: [a, a]
checks:
  - { id: x, tcp: { host: h, port: 1 }, vantages: [b], component: nope, interval: 10s, timeout: 1m }
  - { id: x, tcp: { host: h, port: 1 }, interval: 100ms }
`);
    expect(err.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'vantages[1]',
        'checks[0].vantages[0]',
        'checks[0].component',
        'checks[0].timeout',
        'checks[1].id',
        'checks[1].interval',
      ]),
    );
  });

  it('refuses a check listing a vantage twice, naming the field and the vantage', () => {
    const err = configError(`
vantages: [a, b]
checks:
  - { id: x, tcp: { host: h, port: 1 }, vantages: [a, b, a] }
  - { id: y, tcp: { host: h, port: 1 }, vantages: [b, b, b], quorum: 3 }
`);
    expect(err.message).toContain('checks[0].vantages: expected each vantage once; "a" is listed twice');
    expect(err.message).toContain('checks[1].vantages: expected each vantage once; "b" is listed 3 times');
  });

  it('refuses body patterns that cannot run in linear time, naming the field and the part', () => {
    const err = configError(`
vantages: [a]
checks:
  - { id: x, http: { url: "https://x.example/", expect: { bodyRegex: "(a)\\\\1" } } }
  - { id: y, http: { url: "https://y.example/", expect: { bodyRegex: "ok(?=!)" } } }
  - { id: z, http: { url: "https://z.example/", expect: { bodyRegex: "^(a+)+$" } } }
`);
    expect(err.message).toContain(
      'checks[0].http.expect.bodyRegex: expected a regular expression in RE2 syntax (no backreferences or lookaround): invalid escape sequence: `\\1`',
    );
    expect(err.message).toContain('checks[1].http.expect.bodyRegex: expected a regular expression in RE2 syntax');
    expect(err.message).toContain('`(?=`');
    // Nested quantifiers are fine under RE2: they cost linear time, so they are not refused.
    expect(err.issues.map((issue) => issue.path)).not.toContain('checks[2].http.expect.bodyRegex');
  });

  it('refuses an alias bomb as a config error, not a crash', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ])
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const err = configError(`${laughs.join('\n')}\nvantages: [a]\n`);
    expect(err.message).toContain('vigil.yaml: expected a YAML document without excessive aliases');
  });

  it('never echoes a value that came from the environment, naming the variable instead', () => {
    const err = configError(`vantages: [a]\nchecks: [{ id: x, tcp: { host: h, port: "\${VIGIL_SECRET}" } }]`, {
      VIGIL_SECRET: 'hunter2-s3cret',
    });
    expect(err.message).toContain(`checks[0].tcp.port: expected a port from 1 to 65535 (from \${VIGIL_SECRET})`);
    expect(err.message).not.toContain('hunter2');
    expect(JSON.stringify(err.issues)).not.toContain('hunter2');
  });

  it('refuses a quorum larger than the vantages that probe the check, and absurd durations', () => {
    const err = configError(`
vantages: [a, b, c]
checks:
  - { id: x, tcp: { host: h, port: 1 }, quorum: 3, vantages: [a, b] }
  - { id: y, tcp: { host: h, port: 1 }, quorum: 4 }
  - { id: z, tcp: { host: h, port: 1 }, quorum: 3 }
  - { id: v, tcp: { host: h, port: 1 }, interval: 2d }
`);
    expect(err.message).toContain('checks[0].quorum: expected at most 2, the number of vantages that probe the check');
    expect(err.message).toContain('checks[1].quorum: expected at most 3');
    expect(err.issues.map((issue) => issue.path)).not.toContain('checks[2].quorum');
    expect(err.message).toContain('checks[3].interval: expected at most 1d');
    const absurd = configError('vantages: [a]\nchecks: [{ id: w, tcp: { host: h, port: 1 }, interval: 99999999999h }]');
    expect(absurd.message).toContain('checks[0].interval: expected a duration of at most 366d');
  });

  it('takes a TCP host as a name or an IP literal only', () => {
    const bad = ['127.0.0.1 ', 'http://x/', 'host:80', 'localhost\u0000', '-x.example', 'a..b', '[1.2.3.4]', ''];
    const text = `vantages: [a]\nchecks:\n${bad.map((host, i) => `  - { id: c${i}, tcp: { host: ${JSON.stringify(host)}, port: 1 } }`).join('\n')}\n`;
    const err = configError(text);
    for (const i of bad.keys())
      expect(err.message).toContain(
        `checks[${i}].tcp.host: expected a host name or an IP address, without port or scheme`,
      );
    const good = ['db.example.com', 'db.example.com.', '5.104.101.30', '2001:db8::1', '[2001:db8::1]', 'localhost'];
    const ok = `vantages: [a]\nallowPrivateTargets: true\nchecks:\n${good.map((host, i) => `  - { id: c${i}, tcp: { host: ${JSON.stringify(host)}, port: 1 } }`).join('\n')}\n`;
    expect(parseConfig(ok).checks.map((check) => check.tcp?.host)).toEqual(good);
  });

  it('refuses a check with both or neither of http and tcp', () => {
    expect(configError(`vantages: [a]\nchecks: [{ id: x }]`).message).toContain(
      'checks[0].http: expected exactly one of http, tcp, dns, icmp or heartbeat',
    );
    expect(
      configError(`vantages: [a]\nchecks: [{ id: x, http: { url: "https://a.example/" }, dns: { name: a.example } }]`)
        .message,
    ).toContain('checks[0].http: expected exactly one of http, tcp, dns, icmp or heartbeat');
  });

  it.each(['-f', '--help', '; rm -rf /', '$(reboot)'])('refuses the ICMP host %j at load, naming the field', (host) => {
    const message = configError(`vantages: [a]\nchecks: [{ id: x, icmp: { host: ${JSON.stringify(host)} } }]`).message;
    expect(message).toContain(
      `checks[0].icmp.host: expected a host name or an IP address, such as 5.104.101.30 (got ${JSON.stringify(host)})`,
    );
  });

  it('expands $VAR references and their defaults from the environment, and names a missing one', () => {
    const config = parseConfig(
      `vantages: [a]\nchecks: [{ id: x, tcp: { host: "\${HOST}", port: "\${PORT:-6379}" } }]`,
      { env: { HOST: 'db.example.com' } },
    );
    expect(config.checks[0]?.tcp).toMatchObject({ host: 'db.example.com', port: 6379 });
    expect(configError(`vantages: [a]\nchecks: [{ id: x, tcp: { host: "\${HOST}", port: 1 } }]`).message).toContain(
      'checks[0].tcp.host: environment variable HOST is not set',
    );
  });

  it('reports YAML syntax errors with line and column, and a missing file by path', async () => {
    expect(configError('vantages: [a\nchecks: {').message).toMatch(/^vigil\.yaml:\d+:\d+: /);
    const dir = await mkdtemp(join(tmpdir(), 'vigil-config-'));
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(
      /cannot read config .*missing\.yaml: no such file/,
    );
    await writeFile(join(dir, 'vigil.yaml'), 'vantages: [a]\n');
    expect((await loadConfig(join(dir, 'vigil.yaml'))).checks).toEqual([]);
  });
});

describe('vigil.yaml: paging', () => {
  const paging = `
vantages: [alpha]
components: [{ id: api, name: API }]
checks: [{ id: web, component: api, escalation: platform, http: { url: "https://example.com" } }]
people:
  - { id: ana, name: Ana, email: ana@example.com }
  - { id: bo, name: Bo, webhook: "https://hooks.example.com/bo" }
schedules:
  - { id: primary, timezone: Europe/Paris, rotation: { every: 1w, handoff: "mon 09:00", people: [ana, bo] } }
escalations:
  - id: platform
    levels:
      - { notify: [schedule:primary] }
      - { notify: ["person:bo", "channel:slack-ops"], after: 10m }
    repeat: 2
channels:
  - { id: slack-ops, slack: { webhookUrl: "https://hooks.slack.com/services/T/B/X" } }
  - { id: pd, pagerduty: { routingKey: R0UT1NGKEY } }
maintenances:
  - { id: upgrade, title: DB upgrade, components: [api], start: "2026-12-01T02:00:00Z", end: "2026-12-01T03:00:00Z" }
  - { id: weekly, title: Weekly reboot, checks: [web], start: "2026-12-06T02:00:00Z", recurring: { every: 1w, duration: 30m } }
`;

  it('reads people, schedules, escalation policies, channels and maintenances, with defaults', () => {
    const config = parseConfig(paging);
    expect(config.escalations[0]?.levels[1]).toEqual({
      notify: [
        { kind: 'person', id: 'bo' },
        { kind: 'channel', id: 'slack-ops' },
      ],
      after: 600_000,
    });
    expect(config.schedules[0]?.rotation?.handoff).toEqual({ weekday: 'mon', minutes: 540 });
    expect(config.channels[1]?.pagerduty?.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(config.maintenances[1]?.recurring?.duration).toBe(1_800_000);
    expect(config.notifier).toMatchObject({ groupingWindow: 5_000, reopenWindow: 600_000, fleetEscalation: 'default' });
    expect(config.checks[0]?.alertOn).toBe('down');
  });

  it('names each broken reference and malformed field', () => {
    const broken = paging
      .replace('people: [ana, bo]', 'people: [ana, zed]')
      .replace('"channel:slack-ops"', '"channel:nope"')
      .replace('escalation: platform', 'escalation: ghost')
      .replace('timezone: Europe/Paris', 'timezone: Mars/Olympus')
      .replace('{ routingKey: R0UT1NGKEY }', '{ routingKey: R0UT1NGKEY }, slack: { webhookUrl: "https://x.test" }');
    const message = configError(broken).message;
    expect(message).toContain('schedules[0].timezone: expected an IANA time zone');
    expect(message).toContain('channels[1]: expected exactly one of email, webhook, slack, pagerduty');
    const fixedShape = paging
      .replace('people: [ana, bo]', 'people: [ana, zed]')
      .replace('"channel:slack-ops"', '"channel:nope"')
      .replace('escalation: platform', 'escalation: ghost')
      .replace('components: [api], start', 'components: [db], start');
    const references = configError(fixedShape).message;
    expect(references).toContain('checks[0].escalation: expected the id of a declared escalation policy');
    expect(references).toContain('schedules[0].rotation.people[1]: expected the id of a declared person');
    expect(references).toContain('escalations[0].levels[1].notify[1]: expected the id of a declared channel');
    expect(references).toContain('maintenances[0].components[0]: expected the id of a declared component');
    expect(configError(paging.replace('"person:bo"', '"bo"')).message).toContain(
      'escalations[0].levels[1].notify[0]: expected a target such as person:ana',
    );
    expect(configError(paging.replace(', webhook: "https://hooks.example.com/bo"', '')).message).toContain(
      'people[1]: expected at least one of email or webhook',
    );
  });
});

describe('durations and environment', () => {
  it('parses the duration forms a config uses', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30')).toBeUndefined();
    expect(parseDuration('s')).toBeUndefined();
  });

  it('validates the environment and treats empty values as unset', () => {
    expect(parseEnv({ REDIS_URL: '', VIGIL_PORT: '9090' })).toMatchObject({
      VIGIL_PORT: 9090,
      VIGIL_PREFIX: 'vigil',
      LOG_LEVEL: 'info',
    });
    expect(() => parseEnv({ REDIS_URL: 'http://x' })).toThrow(
      /REDIS_URL: expected a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ URL/,
    );
    expect(() => parseEnv({ VIGIL_PREFIX: 'a:b' })).toThrow(/VIGIL_PREFIX/);
    expect(() => parseEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: expected one of/);
  });
});
