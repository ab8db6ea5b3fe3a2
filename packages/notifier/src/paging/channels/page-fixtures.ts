import type { Incident, IncidentMember } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import type { Page, PageAction } from './channel.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The links tests look for in rendered pages. */
export const LINKS = {
  ack: 'https://vigil.example.com/ack/tok-123',
  incident: 'https://vigil.example.com/incidents/inc-1',
  statusPage: 'https://status.example.com/',
} as const;

/** Payloads that would run script if a renderer forgot to escape. */
export const XSS_CORPUS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '<a href="javascript:alert(1)">x</a>',
  '</li></ul><iframe src=//evil>',
  '&lt;script&gt; already escaped & not',
];

/** A check down since T0, failing from 2 of 3 vantages with a refused connection. */
export function sampleMember(overrides: Partial<IncidentMember> = {}): IncidentMember {
  return {
    checkId: 'api-health',
    name: 'API health',
    down: true,
    firstFailedRound: T0,
    lastFailedRound: T0 + 10 * MINUTE,
    lastGoodBefore: T0 - 30 * SECOND,
    vantagesFailing: ['eu-west', 'us-east'],
    vantagesTotal: 3,
    error: 'connect_refused',
    message: 'connect ECONNREFUSED 203.0.113.10:443',
    ...overrides,
  };
}

/** An open incident of component `api` with 3 checks, 2 of them down. */
export function sampleIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1',
    title: 'Public API is down',
    group: 'component:api',
    impact: 'major',
    severity: 'critical',
    status: 'investigating',
    component: 'api',
    escalation: 'platform',
    episode: 1,
    startedAt: T0,
    detectedAt: T0 + MINUTE,
    members: [
      sampleMember(),
      sampleMember({ checkId: 'api-login', name: 'API login', firstFailedRound: T0 + 30 * SECOND }),
      sampleMember({
        checkId: 'api-docs',
        name: 'API docs',
        down: false,
        firstFailedRound: T0 + MINUTE,
        lastFailedRound: T0 + 2 * MINUTE,
        firstGoodAfter: T0 + 3 * MINUTE,
        vantagesFailing: ['eu-west'],
        error: 'timeout',
        message: 'no response within 10000ms',
      }),
    ],
    updates: [{ at: T0 + MINUTE, status: 'investigating', message: 'Checks are failing.', by: 'vigil' }],
    ...overrides,
  };
}

/** An incident with `count` checks, all down: for caps. */
export function largeIncident(count: number): Incident {
  const members = Array.from({ length: count }, (_, i) =>
    sampleMember({ checkId: `app-${i}`, name: `App ${i}`, firstFailedRound: T0 + i * SECOND }),
  );
  return sampleIncident({ members });
}

/** The incident resolved: down for at least 2h50 (first to last failed round) and at most 4h04. */
export function resolvedIncident(): Incident {
  const lastGood = T0 - 30 * SECOND;
  const recovered = { down: false, lastGoodBefore: lastGood, firstGoodAfter: lastGood + 4 * HOUR + 4 * MINUTE };
  return sampleIncident({
    status: 'resolved',
    acknowledgedAt: T0 + 5 * MINUTE,
    acknowledgedBy: 'Ana',
    resolvedAt: lastGood + 4 * HOUR + 4 * MINUTE,
    resolvedBy: 'vigil',
    members: [
      sampleMember({ ...recovered, lastFailedRound: T0 + 2 * HOUR + 50 * MINUTE }),
      sampleMember({ ...recovered, checkId: 'api-login', name: 'API login', lastFailedRound: T0 + HOUR }),
      sampleMember({ ...recovered, checkId: 'api-docs', name: 'API docs', firstFailedRound: T0 + MINUTE }),
    ],
  });
}

/** A trigger page for `sampleIncident()` to Ana at level 0, 12 minutes after T0. */
export function samplePage(overrides: Partial<Page> = {}): Page {
  const action = overrides.action ?? 'trigger';
  return {
    action,
    dedupKey: `inc-1:1:0:0:person:ana:${action}`,
    incident: sampleIncident(),
    componentName: 'Public API',
    level: 0,
    cycle: 0,
    recipient: { id: 'ana', name: 'Ana' },
    links: { ...LINKS },
    at: T0 + 12 * MINUTE,
    ...overrides,
  };
}

/** The three pages one incident sends: trigger, then acknowledge by Ana, then resolve. */
export function pageSequence(): Record<PageAction, Page> {
  const acknowledged = sampleIncident({ status: 'identified', acknowledgedAt: T0 + 5 * MINUTE, acknowledgedBy: 'Ana' });
  const { ack: _ack, ...noAck } = LINKS;
  return {
    trigger: samplePage(),
    acknowledge: samplePage({ action: 'acknowledge', incident: acknowledged, links: noAck }),
    resolve: samplePage({ action: 'resolve', incident: resolvedIncident(), links: noAck, at: T0 + 5 * HOUR }),
  };
}
