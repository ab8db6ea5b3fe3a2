import type { ChannelSettings } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, Page } from '../channel.js';
import { chatFacts, chatLinks, chatMembers, escapeChatMarkdown, listedOmitted, markdownLinkUrl } from '../chat-text.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, postWebhookMessage } from '../http-delivery.js';
import { incidentState, oneLine, pageSubject, truncate } from '../page-content.js';

export type MattermostFlavour = ChannelSettings<'mattermost'>['flavour'];

/**
 * What each server takes in one message: Mattermost's post limit is 16,383 characters
 * (https://developers.mattermost.com/integrate/webhooks/incoming/), Rocket.Chat's default
 * `Message_MaxAllowedSize` 5,000. Vigil stays well inside both.
 */
export const MATTERMOST_TEXT_MAX: Record<MattermostFlavour, number> = { mattermost: 4_000, rocketchat: 2_000 };
const FIELD_MAX = 300;

const COLORS = { down: '#E01E5A', degraded: '#F28C28', acknowledge: '#ECB22E', resolve: '#2EB67D' } as const;

export interface MattermostAttachment {
  fallback?: string;
  color: string;
  title: string;
  title_link?: string;
  text: string;
  fields: { short: boolean; title: string; value: string }[];
}

/** A Slack-compatible incoming-webhook body: `text` is the notification, the attachment the card. */
export interface MattermostMessage {
  text: string;
  username?: string;
  alias?: string;
  attachments: [MattermostAttachment];
}

/**
 * The webhook message for a page, in each flavour's documented format: Mattermost's attachment has a
 * `fallback` and the `username` override; Rocket.Chat's has neither (its sender name is `alias`).
 * Every name is escaped, so `@channel`, `@all`, `@here` and forged links stay text.
 */
export function mattermostMessage(page: Page, flavour: MattermostFlavour): MattermostMessage {
  const subject = escapeChatMarkdown(pageSubject(page));
  const incidentUrl = chatLinks(page).find((link) => link.label === 'Incident')?.url;
  const attachment: MattermostAttachment = {
    ...(flavour === 'mattermost' && { fallback: truncate(pageSubject(page), 300) }),
    color: color(page),
    title: truncate(escapeChatMarkdown(oneLine(page.incident.title)), 250),
    ...(incidentUrl && { title_link: incidentUrl }),
    text: attachmentText(page, MATTERMOST_TEXT_MAX[flavour]),
    fields: chatFacts(page).map(([title, value]) => ({
      short: true,
      title,
      value: truncate(escapeChatMarkdown(value), FIELD_MAX),
    })),
  };
  const sender = flavour === 'mattermost' ? { username: 'Vigil' } : { alias: 'Vigil' };
  return { text: truncate(subject, 1_000), ...sender, attachments: [attachment] };
}

/** Posts to a Mattermost or Rocket.Chat incoming webhook (both answer 200). */
export function createMattermostChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'mattermost'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'mattermost',
    async send(page, target) {
      const message = mattermostMessage(page, target.flavour);
      await postWebhookMessage(ctx, { channel: target.flavour, page, url: target.webhookUrl, message, timeoutMs });
    },
  };
}

function color(page: Page): string {
  if (page.action === 'resolve') return COLORS.resolve;
  if (page.action === 'acknowledge') return COLORS.acknowledge;
  return COLORS[incidentState(page.incident)];
}

function attachmentText(page: Page, max: number): string {
  const links = chatLinks(page)
    .map(({ label, url }) => `[${label}](${markdownLinkUrl(url)})`)
    .join(' · ');
  const lines = chatMembers(page).map(
    ({ name, details }) => `- **${escapeChatMarkdown(name)}**: ${escapeChatMarkdown(details)}`,
  );
  const omitted = listedOmitted(page);
  if (omitted > 0) lines.push(`_and ${omitted} more_`);
  const checks = truncate(lines.join('\n'), Math.max(0, max - links.length - 2));
  return [checks, links].filter((part) => part !== '').join('\n\n');
}

/** Mattermost/Rocket.Chat: 408, 429 and 5xx retry; other 4xx (a removed hook) and redirects are permanent. */
export const mattermostChannel = {
  kind: 'mattermost',
  create: createMattermostChannel,
} satisfies ChannelModule<'mattermost'>;
