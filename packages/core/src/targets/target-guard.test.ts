import { describe, expect, it } from 'vitest';
import { TargetGuard } from './target-guard.js';

const byDefault = new TargetGuard({ allowPrivateTargets: false, allowTargets: [] });

const REFUSED = [
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '127.0.0.1',
  '127.1.2.3',
  '169.254.169.254',
  '0.0.0.0',
  '100.64.0.1',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  'fc00::1',
  'fd12::1',
  'fe80::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::7f00:1',
  '64:ff9b::a00:1',
  '2002:7f00:1::1',
  '2002:c0a8:101::1',
  '2001:0:4136:e378:8000:63bf:80ff:fffe',
];

const ALLOWED = ['8.8.8.8', '1.1.1.1', '5.104.101.30', '109.232.236.90', '2606:4700::1111', '::ffff:8.8.8.8'];

describe('TargetGuard', () => {
  it.each(REFUSED)('refuses %s by default', (address) => {
    const verdict = byDefault.check(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain('set allowPrivateTargets or list it under allowTargets');
  });

  it.each(ALLOWED)('allows the public address %s by default', (address) => {
    expect(byDefault.check(address)).toEqual({ allowed: true });
  });

  it('names the range it refused', () => {
    expect(byDefault.check('127.0.0.1')).toEqual({
      allowed: false,
      reason: '127.0.0.1 is a loopback address; set allowPrivateTargets or list it under allowTargets',
    });
    expect(byDefault.check('169.254.169.254')).toMatchObject({ reason: expect.stringContaining('link-local') });
    expect(byDefault.check('10.1.2.3')).toMatchObject({ reason: expect.stringContaining('private') });
    expect(byDefault.check('100.64.0.1')).toMatchObject({ reason: expect.stringContaining('carrier-grade NAT') });
    expect(byDefault.check('fd12::1')).toMatchObject({ reason: expect.stringContaining('unique local') });
  });

  it('judges an IPv6 form by the IPv4 address it embeds', () => {
    expect(byDefault.check('::ffff:127.0.0.1')).toMatchObject({
      reason: expect.stringContaining('embeds 127.0.0.1, which is a loopback address'),
    });
    expect(byDefault.check('64:ff9b::7f00:1')).toMatchObject({ reason: expect.stringContaining('embeds 127.0.0.1') });
    expect(byDefault.check('64:ff9b::808:808')).toEqual({ allowed: true });
  });

  it('lets everything through with allowPrivateTargets', () => {
    const guard = new TargetGuard({ allowPrivateTargets: true, allowTargets: [] });
    for (const address of [...REFUSED, ...ALLOWED]) expect(guard.check(address)).toEqual({ allowed: true });
  });

  it('lets through only the listed ranges with allowTargets', () => {
    const guard = new TargetGuard({
      allowPrivateTargets: false,
      allowTargets: ['127.0.0.0/8', '10.9.9.9', 'fd00::/8'],
    });
    expect(guard.check('127.0.0.1')).toEqual({ allowed: true });
    expect(guard.check('127.200.0.1')).toEqual({ allowed: true });
    expect(guard.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(guard.check('10.9.9.9')).toEqual({ allowed: true });
    expect(guard.check('fd00::5')).toEqual({ allowed: true });
    expect(guard.check('10.0.0.1').allowed).toBe(false);
    expect(guard.check('192.168.1.1').allowed).toBe(false);
    expect(guard.check('::1').allowed).toBe(false);
    expect(guard.check('8.8.8.8')).toEqual({ allowed: true });
  });

  it('refuses what is not an IP address', () => {
    expect(byDefault.check('example.com')).toMatchObject({
      allowed: false,
      reason: 'example.com is not an IP address',
    });
  });
});
