import type { Channel, ChannelContext, ChannelModule, Page } from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, postWebhookMessage } from '../http-delivery.js';
import {
  affectedMembers,
  downtimeText,
  errorSummary,
  formatInstant,
  isWebUrl,
  listedMembers,
  memberLines,
  oneLine,
  pageSubject,
  truncate,
  vantagesSummary,
} from '../page-content.js';
import { sendSlackApp } from './slack-app.js';
import type { MrkdwnText, SlackBlock, SlackMessage } from './slack-blocks.js';

export type { SlackBlock, SlackButton, SlackMessage } from './slack-blocks.js';

/** A Slack message lists fewer checks than an email: it is read on a phone lock screen. */
const SLACK_MEMBER_LIMIT = 10;
/** Slack's limits on a section's text and on one field. */
const SECTION_TEXT_MAX = 3000;
const FIELD_TEXT_MAX = 2000;

/**
 * Escapes Slack's mrkdwn control characters, so a check named `<!channel>` cannot ping a whole
 * channel and `<https://evil|Acknowledge>` cannot forge a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Slack message for a page: summary, key fields, the checks, and the ack and status links. */
export function slackMessage(page: Page, options: { ackLink?: boolean } = {}): SlackMessage {
  const subject = escapeMrkdwn(pageSubject(page));
  const title = escapeMrkdwn(oneLine(page.incident.title));
  const blocks: SlackBlock[] = [
    { type: 'section', text: mrkdwn(`*${subject}*\n${title}`), fields: slackFields(page) },
    { type: 'section', text: mrkdwn(truncate(memberList(page), SECTION_TEXT_MAX)) },
  ];
  const links = slackLinks(page, options.ackLink ?? true);
  if (links) blocks.push({ type: 'context', elements: [mrkdwn(links)] });
  return { text: subject, blocks };
}

/**
 * Posts to a Slack incoming webhook (Slack's error token, `no_service`, goes into the error) or, in app
 * mode, through the Web API with buttons (`slack-app.ts`).
 */
export function createSlackChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'slack'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'slack',
    async send(page, target) {
      if ('botToken' in target) {
        // The buttons acknowledge: the message keeps the incident and status links only.
        return sendSlackApp(ctx, { page, target, message: slackMessage(page, { ackLink: false }), timeoutMs });
      }
      const message = slackMessage(page);
      const url = target.webhookUrl;
      await postWebhookMessage(ctx, { channel: 'slack', page, url, message, timeoutMs, explainWithToken: true });
    },
  };
}

function mrkdwn(text: string): MrkdwnText {
  return { type: 'mrkdwn', text };
}

function field(label: string, value: string): MrkdwnText {
  return mrkdwn(truncate(`*${label}*\n${escapeMrkdwn(value)}`, FIELD_TEXT_MAX));
}

function slackFields(page: Page): MrkdwnText[] {
  const { incident } = page;
  const affected = affectedMembers(page);
  const fields = [
    field('Component', page.componentName ?? incident.component ?? incident.group),
    field('Severity', `${incident.severity} (${incident.status})`),
    field('Since', formatInstant(incident.startedAt, page.at)),
    field('Vantages failing', vantagesSummary(affected)),
  ];
  const errors = errorSummary(affected);
  if (errors) fields.push(field('Error', errors));
  if (incident.acknowledgedBy) fields.push(field('Acknowledged by', oneLine(incident.acknowledgedBy)));
  if (page.action === 'resolve') fields.push(field('Downtime', downtimeText(page)));
  return fields;
}

function memberList(page: Page): string {
  const { members, omitted } = listedMembers(page, SLACK_MEMBER_LIMIT);
  const lines = members.map((member) => {
    const details = memberLines(member, page.at).map(escapeMrkdwn).join('; ');
    return `• *${escapeMrkdwn(oneLine(member.name))}*: ${details}`;
  });
  if (omitted > 0) lines.push(`_and ${omitted} more_`);
  return lines.join('\n');
}

function slackLinks(page: Page, ackLink: boolean): string | undefined {
  const links: [string, string | undefined][] = [
    ['Acknowledge', ackLink ? page.links.ack : undefined],
    ['Incident', page.links.incident],
    ['Status page', page.links.statusPage],
  ];
  const shown = links.flatMap(([label, url]) => (url && isWebUrl(url) ? [`<${linkUrl(url)}|${label}>`] : []));
  return shown.length > 0 ? shown.join('  ·  ') : undefined;
}

/** A URL inside `<url|label>` must not contain the delimiters; percent-encoding them keeps it the same URL. */
function linkUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}

/**
 * Slack: 408, 429 and 5xx retry; other 4xx (`no_service`, `invalid_payload`) and redirects are permanent;
 * in app mode also `ok: false` with `ratelimited` retries, `invalid_auth`, `channel_not_found` are permanent.
 */
export const slackChannel = { kind: 'slack', create: createSlackChannel } satisfies ChannelModule<'slack'>;
