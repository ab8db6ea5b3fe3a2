import type { AddressState, StatusReport, UptimeWindow } from '@vigil/core';
import { parseConfig } from '@vigil/core';
import { incidentMemberFixture } from '@vigil/core/testing';
import type { CheckView } from '@vigil/web';
import { describe, expect, it } from 'vitest';
import { renderIncident } from '../commands/incidents.js';
import { renderStatus } from '../commands/status.js';
import { describeAddresses } from './address-render.js';
import { renderCheck } from './check-render.js';
import { palette } from './colour.js';

const plain = palette(false);
/** 2022-04-04 23:24 UTC, when the seed's first address went quiet. */
const SINCE = Date.UTC(2022, 3, 4, 23, 24);
const NOW = SINCE + 20 * 60_000;
const ADDRESSES: AddressState[] = [
  { address: '109.232.236.90', state: 'up', since: 0, failing: [], counted: 3, lastRound: NOW },
  {
    address: '5.104.101.30',
    state: 'down',
    since: SINCE,
    failing: ['alpha', 'beta', 'gamma'],
    counted: 3,
    error: 'timeout',
    lastRound: NOW,
  },
];

describe('address rendering', () => {
  it('says which address fails, from how many vantages and since when; the fine ones as fine', () => {
    expect(describeAddresses(ADDRESSES, NOW, plain)).toBe(
      '5.104.101.30 failing from 3/3 vantages since 23:24 UTC (timeout); 109.232.236.90 fine',
    );
  });

  it('names the day when the failure began on another, and tells degraded and recovering apart', () => {
    const degraded: AddressState = {
      ...ADDRESSES[0],
      state: 'degraded',
      failing: ['beta'],
      since: SINCE,
    } as AddressState;
    const recovering: AddressState = { ...ADDRESSES[1], failing: [] } as AddressState;
    expect(describeAddresses([recovering, degraded], NOW + 86_400_000, plain)).toBe(
      '5.104.101.30 down since 2022-04-04 23:24 UTC, good again from every vantage; ' +
        '109.232.236.90 degraded, failing from 1/3 vantages since 2022-04-04 23:24 UTC',
    );
  });

  it('vigil checks show has an addresses line', () => {
    const [check] = parseConfig(`
vantages: [alpha, beta, gamma]
checks:
  - { id: app, name: App, alertOn: address, http: { url: "https://app.example.com/", allAddresses: true } }
`).checks;
    if (!check) throw new Error('no check');
    const view = {
      ...check,
      owner: null,
      source: 'config',
      revision: 'r1',
      state: 'degraded',
      addresses: ADDRESSES,
      addressEvents: [
        {
          address: '5.104.101.30',
          kind: 'back',
          round: SINCE + 10 * 60_000,
          since: SINCE + 9 * 60_000,
          failing: [],
          counted: 3,
        },
        {
          address: '5.104.101.30',
          kind: 'down',
          round: SINCE + 60_000,
          since: SINCE,
          failing: ['alpha', 'beta', 'gamma'],
          counted: 3,
          error: 'timeout',
        },
      ],
    } as CheckView;
    const none = (window: UptimeWindow) => ({ window, rounds: 0, uptime: null, ok: 0, degraded: 0, fail: 0 });
    const uptime = { '24h': none('24h'), '7d': none('7d'), '30d': none('30d'), '90d': none('90d') };
    const text = renderCheck({ check: view, results: [], uptime }, NOW, plain);
    expect(text).toContain('alert on address');
    expect(text).toContain(
      [
        'Address timeline (newest first):',
        '  23:34 UTC  5.104.101.30 back, good since 23:33 UTC',
        '  23:25 UTC  5.104.101.30 down, failing from 3/3 vantages since 23:24 UTC (timeout)',
      ].join('\n'),
    );
    expect(text).toContain(
      '  addresses     5.104.101.30 failing from 3/3 vantages since 23:24 UTC (timeout); 109.232.236.90 fine',
    );
  });

  it('vigil status lists the addresses of the checks that have them', () => {
    const report: StatusReport = {
      checks: [
        { id: 'app', name: 'App', kind: 'http', paused: false, state: 'degraded', results: {}, addresses: ADDRESSES },
        { id: 'db', name: 'DB', kind: 'tcp', paused: false, state: 'up', results: {} },
      ],
      vantages: [],
    };
    const text = renderStatus(report, plain, NOW);
    expect(text).toContain(
      'Addresses:\n  app: 5.104.101.30 failing from 3/3 vantages since 23:24 UTC (timeout); 109.232.236.90 fine',
    );
    expect(text).not.toContain('  db:');
  });

  it('vigil incidents show lists the addresses down while their name answered', () => {
    const member = incidentMemberFixture('app', SINCE, {
      addresses: [
        { address: '5.104.101.30', since: SINCE, vantagesFailing: ['alpha', 'beta', 'gamma'], vantagesTotal: 3 },
      ],
    });
    const text = renderIncident(
      {
        id: 'inc-7',
        title: 'App: address 5.104.101.30 down',
        group: 'check:app',
        impact: 'minor',
        severity: 'major',
        status: 'investigating',
        startedAt: SINCE,
        detectedAt: SINCE + 60_000,
        episode: 1,
        members: [member],
        updates: [],
      },
      NOW,
    );
    expect(text).toContain(
      'Addresses down while their name answered:\n  app  5.104.101.30 failing from 3/3 vantages since 2022-04-04T23:24:00Z',
    );
  });
});
