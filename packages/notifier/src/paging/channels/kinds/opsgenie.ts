import { episodeKey, type Incident } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, Page } from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered, postJson } from '../http-delivery.js';
import {
  affectedMembers,
  downtimeText,
  errorSummary,
  isoUtc,
  isWebUrl,
  listedMembers,
  memberLines,
  oneLine,
  pageSubject,
  renderPage,
  truncate,
  vantagesSummary,
} from '../page-content.js';

/** Opsgenie's limits: the message, a detail value, the description. */
export const OPSGENIE_MESSAGE_MAX = 130;
const DETAIL_MAX = 8_000;
const DESCRIPTION_MAX = 15_000;

export type OpsgeniePriority = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';

const PRIORITIES: Record<Incident['severity'], OpsgeniePriority> = {
  critical: 'P1',
  major: 'P2',
  minor: 'P3',
  info: 'P5',
};

/** The create-alert body of the Alert API (`POST /v2/alerts`). */
export interface OpsgenieAlert {
  message: string;
  alias: string;
  description: string;
  priority: OpsgeniePriority;
  source: string;
  entity?: string;
  tags: string[];
  details: Record<string, string>;
}

/** An acknowledge or close body: who and why, for the alert's log. */
export interface OpsgenieFollowUp {
  source: string;
  user: string;
  note: string;
}

/** One request of the Alert API for a page: where, and what. */
export function opsgenieRequest(page: Page, apiBase: string): { url: string; body: OpsgenieAlert | OpsgenieFollowUp } {
  const base = apiBase.replace(/\/+$/, '');
  const alias = episodeKey({ incidentId: page.incident.id, episode: page.incident.episode });
  if (page.action === 'trigger') return { url: `${base}/v2/alerts`, body: opsgenieAlert(page) };
  const verb = page.action === 'acknowledge' ? 'acknowledge' : 'close';
  const by = page.incident.acknowledgedBy;
  const note =
    page.action === 'acknowledge'
      ? `Acknowledged in Vigil${by ? ` by ${oneLine(by)}` : ''}.`
      : `Resolved in Vigil: down ${downtimeText(page)}.`;
  return {
    url: `${base}/v2/alerts/${encodeURIComponent(alias)}/${verb}?identifierType=alias`,
    body: { source: 'Vigil', user: 'Vigil', note: truncate(note, 25_000) },
  };
}

/** The alert: the page's summary as its message, the episode's key as its alias (a retry never opens a second). */
export function opsgenieAlert(page: Page): OpsgenieAlert {
  const { incident } = page;
  const component = page.componentName ?? incident.component;
  return {
    message: truncate(pageSubject(page), OPSGENIE_MESSAGE_MAX),
    alias: episodeKey({ incidentId: incident.id, episode: incident.episode }),
    description: truncate(renderPage(page).text, DESCRIPTION_MAX),
    priority: PRIORITIES[incident.severity],
    source: 'Vigil',
    ...(component !== undefined && { entity: truncate(oneLine(component), 512) }),
    tags: ['vigil', incident.severity, incident.impact],
    details: opsgenieDetails(page),
  };
}

function opsgenieDetails(page: Page): Record<string, string> {
  const { incident } = page;
  const affected = affectedMembers(page);
  const { members } = listedMembers(page);
  const links = { ack_url: page.links.ack, incident_url: page.links.incident, status_page_url: page.links.statusPage };
  const details: Record<string, string | undefined> = {
    incident: incident.id,
    title: oneLine(incident.title),
    status: incident.status,
    checks_down: `${incident.members.filter((member) => member.down).length} of ${incident.members.length}`,
    vantages: vantagesSummary(affected),
    errors: errorSummary(affected),
    started_at: isoUtc(incident.startedAt),
    checks: members.map((member) => `${oneLine(member.name)}: ${memberLines(member, page.at).join('; ')}`).join('\n'),
    ...Object.fromEntries(Object.entries(links).map(([name, url]) => [name, url && isWebUrl(url) ? url : undefined])),
  };
  return Object.fromEntries(
    Object.entries(details).flatMap(([name, value]) => (value ? [[name, truncate(value, DETAIL_MAX)]] : [])),
  );
}

/** Sends through the Alert API with `GenieKey` auth; 202 accepts, 429 and 5xx retry, other 4xx are permanent. */
export function createOpsgenieChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'opsgenie'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'opsgenie',
    async send(page, target) {
      const { url, body } = opsgenieRequest(page, target.apiBase);
      const headers = { authorization: `GenieKey ${target.apiKey}` };
      const status = await postJson({
        http: ctx.http,
        channel: 'opsgenie',
        url,
        body: JSON.stringify(body),
        headers,
        timeoutMs,
      });
      logDelivered(ctx.log, { channel: 'opsgenie', page, url, status });
    },
  };
}

/** Opsgenie: 429 and 5xx retry; 401, 403, 404, 422 (a bad key, an unknown alias, a bad body) are permanent. */
export const opsgenieChannel = { kind: 'opsgenie', create: createOpsgenieChannel } satisfies ChannelModule<'opsgenie'>;
