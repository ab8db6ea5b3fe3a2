import { describe, expect, it } from 'vitest';
import { TargetGuard } from '../../targets/target-guard.js';
import { literalTargetRanges, targetPolicyIssues } from '../../targets/target-policy.js';
import { checkDefaultsSchema, checkInputSchema, checkToInput, resolveCheck } from '../check.js';
import {
  CHECK_KINDS,
  type CheckKind,
  checkKinds,
  checkLimitKey,
  checkTarget,
  describeCheckTarget,
  publicCheckTarget,
} from './registry.js';

const defaults = checkDefaultsSchema.parse({});
const strict = new TargetGuard({ allowPrivateTargets: false, allowTargets: [] });

/** One check of each kind as written in vigil.yaml, and what each description of its target must say. */
const SAMPLES: Record<
  CheckKind,
  { input: Record<string, unknown>; target: string; people: string; public: string; limit: string }
> = {
  http: {
    input: { http: { url: 'https://api.example.com/health?key=s3cret', expect: { status: ['2xx', 301] } } },
    target: 'http https://api.example.com/health?key=s3cret',
    people: 'GET https://api.example.com/health?key=s3cret',
    public: 'https://api.example.com/health',
    limit: 'api.example.com',
  },
  tcp: {
    input: { tcp: { host: 'db.example.com', port: '5432', tls: true } },
    target: 'tcp db.example.com:5432',
    people: 'db.example.com:5432 (tls)',
    public: 'db.example.com:5432',
    limit: 'db.example.com:5432',
  },
  dns: {
    input: {
      dns: {
        name: 'example.com',
        type: 'MX',
        server: '9.9.9.9:53',
        expect: { answers: { contains: ['10 mx.example.com'] } },
      },
    },
    target: 'dns MX example.com @9.9.9.9:53',
    people: 'MX example.com @9.9.9.9:53',
    public: 'MX example.com',
    limit: '9.9.9.9:53',
  },
  icmp: {
    input: { icmp: { host: '5.104.101.30', count: 5, expect: { maxLossPercent: 20, maxRttMs: 150 } } },
    target: 'icmp 5.104.101.30',
    people: '5.104.101.30 (5 echo requests)',
    public: '5.104.101.30',
    limit: '5.104.101.30',
  },
  heartbeat: {
    input: { heartbeat: { grace: '2m', schedule: '0 3 * * *', timezone: 'Europe/Paris' } },
    target: 'heartbeat push "0 3 * * *" Europe/Paris +2m',
    people: 'push "0 3 * * *" Europe/Paris, grace 2m',
    public: 'heartbeat',
    limit: 'push',
  },
};

describe('the registry of check kinds', () => {
  it.each(CHECK_KINDS)('%s: parsed, resolved and written back, the check comes back the same', (kind) => {
    const sample = SAMPLES[kind];
    const check = resolveCheck(checkInputSchema.parse({ id: 'c', ...sample.input }), defaults);
    expect(check.kind).toBe(kind);
    expect(resolveCheck(checkInputSchema.parse(checkToInput(check)), defaults)).toEqual(check);
    expect(checkTarget(check)).toBe(sample.target);
    expect(describeCheckTarget(check)).toBe(sample.people);
    expect(publicCheckTarget(check)).toBe(sample.public);
    expect(checkLimitKey(check)).toBe(sample.limit);
  });

  it.each(CHECK_KINDS)('%s: the CLI flag example becomes a valid check', (kind) => {
    const { flag } = checkKinds[kind];
    const settings = flag.toInput(flag.example);
    expect(checkInputSchema.safeParse({ id: 'c', [kind]: settings }).success).toBe(true);
  });

  it('vets a DNS check’s resolver, and nothing when it uses the prober host’s own', () => {
    expect(targetPolicyIssues({ dns: { server: '127.0.0.1:5353' } }, strict)).toEqual([
      expect.objectContaining({ path: 'dns.server', received: '"127.0.0.1:5353"' }),
    ]);
    expect(targetPolicyIssues({ dns: { server: '[::1]' } }, strict)).toHaveLength(1);
    expect(targetPolicyIssues({ dns: { server: '9.9.9.9' } }, strict)).toEqual([]);
    expect(targetPolicyIssues({ dns: {} }, strict)).toEqual([]);
    expect(literalTargetRanges({ dns: { server: '127.0.0.1:5353' } })).toEqual(['127.0.0.1']);
    expect(literalTargetRanges({ dns: {} })).toBeUndefined();
  });

  it('refuses a DNS check with a malformed name, type or resolver, naming the field', () => {
    const result = checkInputSchema.safeParse({
      id: 'c',
      dns: { name: 'not a name', type: 'ANY', server: 'host:99999' },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['dns.name', 'dns.type', 'dns.server']));
  });

  it('vets an ICMP check’s host: metadata, private and loopback refused, a public address let through', () => {
    expect(targetPolicyIssues({ icmp: { host: '169.254.169.254' } }, strict)).toEqual([
      expect.objectContaining({ path: 'icmp.host', received: '"169.254.169.254"' }),
    ]);
    expect(targetPolicyIssues({ icmp: { host: '10.1.2.3' } }, strict)).toHaveLength(1);
    expect(targetPolicyIssues({ icmp: { host: '2130706433' } }, strict)).toHaveLength(1);
    expect(targetPolicyIssues({ icmp: { host: '5.104.101.30' } }, strict)).toEqual([]);
  });

  it.each(['-f', '--help', '; rm -rf /', '127.0.0.1 -f /etc/passwd', '$(id)', '-S10.0.0.1', ''])(
    'refuses the ICMP host %j at load, naming the field',
    (host) => {
      const result = checkInputSchema.safeParse({ id: 'c', icmp: { host } });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
        ['icmp.host', 'expected a host name or an IP address, such as 5.104.101.30'],
      ]);
    },
  );

  it('gives an ICMP check three echo requests and refuses counts and limits out of range', () => {
    const check = resolveCheck(checkInputSchema.parse({ id: 'c', icmp: { host: 'lb.example.com' } }), defaults);
    expect(check).toMatchObject({ kind: 'icmp', icmp: { host: 'lb.example.com', count: 3, expect: {} } });
    const result = checkInputSchema.safeParse({
      id: 'c',
      icmp: { host: 'lb.example.com', count: 0, expect: { maxLossPercent: 101, maxRttMs: -1 } },
    });
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(['icmp.count', 'icmp.expect.maxLossPercent', 'icmp.expect.maxRttMs']);
  });
});
