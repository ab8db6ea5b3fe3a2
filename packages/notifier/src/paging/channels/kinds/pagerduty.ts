import { episodeKey, type Incident } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, Page, PageAction } from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered, postJson } from '../http-delivery.js';
import {
  affectedMembers,
  downtimeText,
  errorClasses,
  errorSummary,
  isoUtc,
  isWebUrl,
  listedMembers,
  memberLines,
  oneLine,
  pageSubject,
  truncate,
  vantagesSummary,
} from '../page-content.js';

/** PagerDuty refuses a summary longer than this. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

const SEVERITIES: Record<Incident['severity'], PagerDutySeverity> = {
  critical: 'critical',
  major: 'error',
  minor: 'warning',
  info: 'info',
};

/** An Events API v2 event: `payload`, `links` and `client` only on a trigger. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: PageAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component?: string;
    group: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

/**
 * One PagerDuty alert per incident episode: triggers from every level and cycle, the acknowledge and the
 * resolve all land on it. (Vigil's own dedup key is per delivery, which would open an alert per page.)
 */
export function pagerDutyDedupKey(incident: Pick<Incident, 'id' | 'episode'>): string {
  return episodeKey({ incidentId: incident.id, episode: incident.episode });
}

/** Vigil's severities on PagerDuty's scale. */
export function pagerDutySeverity(severity: Incident['severity']): PagerDutySeverity {
  return SEVERITIES[severity];
}

/** The Events API v2 body for a page. */
export function pagerDutyEvent(page: Page, routingKey: string): PagerDutyEvent {
  const event: PagerDutyEvent = {
    routing_key: routingKey,
    event_action: page.action,
    dedup_key: pagerDutyDedupKey(page.incident),
  };
  if (page.action !== 'trigger') return event;
  const clientUrl = [page.links.incident, page.links.statusPage].find((url) => url !== undefined && isWebUrl(url));
  return {
    ...event,
    payload: triggerPayload(page),
    links: pagerDutyLinks(page),
    client: 'Vigil',
    client_url: clientUrl,
  };
}

/** Sends to the Events API v2 (`target.url`); 202 delivers, 400 is permanent, 429 and 5xx retry. */
export function createPagerDutyChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'pagerduty'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'pagerduty',
    async send(page, target) {
      const body = JSON.stringify(pagerDutyEvent(page, target.routingKey));
      const status = await postJson({ http: ctx.http, channel: 'pagerduty', url: target.url, body, timeoutMs });
      logDelivered(ctx.log, { channel: 'pagerduty', page, url: target.url, status });
    },
  };
}

function triggerPayload(page: Page): NonNullable<PagerDutyEvent['payload']> {
  const { incident } = page;
  const affected = affectedMembers(page);
  const component = page.componentName ?? incident.component;
  return {
    summary: truncate(pageSubject(page), PAGERDUTY_SUMMARY_MAX),
    source: 'vigil',
    severity: pagerDutySeverity(incident.severity),
    timestamp: new Date(incident.detectedAt).toISOString(),
    component: component === undefined ? undefined : truncate(oneLine(component), 255),
    group: incident.group,
    class: errorClasses(affected)[0],
    custom_details: customDetails(page),
  };
}

function customDetails(page: Page): Record<string, unknown> {
  const { incident } = page;
  const affected = affectedMembers(page);
  const { members, omitted } = listedMembers(page);
  return {
    incident: incident.id,
    title: incident.title,
    impact: incident.impact,
    status: incident.status,
    checks_down: `${incident.members.filter((member) => member.down).length} of ${incident.members.length}`,
    vantages: vantagesSummary(affected),
    errors: errorSummary(affected),
    started_at: isoUtc(incident.startedAt),
    downtime: downtimeText(page),
    checks: members.map((member) => `${oneLine(member.name)}: ${memberLines(member, page.at).join('; ')}`),
    checks_omitted: omitted,
    vigil_dedup_key: page.dedupKey,
    escalation: { level: page.level, cycle: page.cycle, recipient: page.recipient?.name },
  };
}

function pagerDutyLinks(page: Page): { href: string; text: string }[] {
  const links = [
    { href: page.links.ack, text: 'Acknowledge in Vigil' },
    { href: page.links.incident, text: 'Incident in Vigil' },
    { href: page.links.statusPage, text: 'Status page' },
  ];
  return links.flatMap(({ href, text }) => (href !== undefined && isWebUrl(href) ? [{ href, text }] : []));
}

/** PagerDuty: 429 and 5xx retry; 400 (a bad routing key or event) and redirects are permanent. */
export const pagerDutyChannel = {
  kind: 'pagerduty',
  create: createPagerDutyChannel,
} satisfies ChannelModule<'pagerduty'>;
