import type { Channel, ChannelContext, ChannelModule, Page } from '../channel.js';
import { chatFacts, chatLinks, chatMembers, escapeChatMarkdown, listedOmitted, markdownLinkUrl } from '../chat-text.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, postWebhookMessage } from '../http-delivery.js';
import { incidentState, isoUtc, oneLine, pageSubject, truncate } from '../page-content.js';

/** Discord's documented embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2_000,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  /** Every title, description, field name and value and footer of a message together. */
  total: 6_000,
} as const;

/** Per fact: 7 facts × 400, a 256 title, a 2,000 description and the footer stay within the 6,000 total. */
const FACT_MAX = 400;
const DESCRIPTION_MAX = 2_000;

/** Red for down, orange for degraded, amber once acknowledged, green when resolved. */
export const DISCORD_COLORS = { down: 0xe01e5a, degraded: 0xf28c28, acknowledge: 0xecb22e, resolve: 0x2eb67d } as const;

export interface DiscordEmbed {
  title: string;
  description: string;
  url?: string;
  color: number;
  fields: { name: string; value: string; inline: boolean }[];
  timestamp: string;
  footer: { text: string };
}

/** An execute-webhook body: `allowed_mentions` empty, so nothing in a page can ping anyone. */
export interface DiscordMessage {
  username: string;
  content: string;
  embeds: [DiscordEmbed];
  allowed_mentions: { parse: [] };
}

/** The webhook message for a page: the summary as content (the notification), the rest in one embed. */
export function discordMessage(page: Page): DiscordMessage {
  const fields = chatFacts(page).map(([name, value]) => ({
    name,
    value: truncate(escapeChatMarkdown(value), FACT_MAX),
    inline: true,
  }));
  const incidentUrl = chatLinks(page).find((link) => link.label === 'Incident')?.url;
  const embed: DiscordEmbed = {
    title: truncate(oneLine(page.incident.title), DISCORD_LIMITS.title),
    description: description(page),
    ...(incidentUrl && { url: incidentUrl }),
    color: color(page),
    fields: fields.slice(0, DISCORD_LIMITS.fields),
    timestamp: new Date(page.at).toISOString(),
    footer: { text: truncate(`Vigil · ${oneLine(page.dedupKey)}`, 200) },
  };
  return {
    username: 'Vigil',
    content: truncate(escapeChatMarkdown(pageSubject(page)), DISCORD_LIMITS.content),
    embeds: [embed],
    allowed_mentions: { parse: [] },
  };
}

/** Posts to a Discord webhook (204 delivers); a 429's `retry_after` is honoured by the retry. */
export function createDiscordChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'discord'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'discord',
    async send(page, target) {
      const message = discordMessage(page);
      await postWebhookMessage(ctx, { channel: 'discord', page, url: target.webhookUrl, message, timeoutMs });
    },
  };
}

function color(page: Page): number {
  if (page.action === 'resolve') return DISCORD_COLORS.resolve;
  if (page.action === 'acknowledge') return DISCORD_COLORS.acknowledge;
  return DISCORD_COLORS[incidentState(page.incident)];
}

/**
 * The links and the checks, within 2,000 characters: the description shares the 6,000 characters of
 * an embed with its title, fields and footer.
 */
function description(page: Page): string {
  const links = chatLinks(page)
    .map(({ label, url }) => `[${label}](${markdownLinkUrl(url)})`)
    .join(' · ');
  const lines = chatMembers(page).map(
    ({ name, details }) => `• **${escapeChatMarkdown(name)}**: ${escapeChatMarkdown(details)}`,
  );
  const omitted = listedOmitted(page);
  if (omitted > 0) lines.push(`_and ${omitted} more_`);
  const budget = DESCRIPTION_MAX - links.length - 2;
  const checks = truncate(lines.join('\n'), Math.max(0, budget));
  return [links, checks].filter((part) => part !== '').join('\n\n') || `Started ${isoUtc(page.incident.startedAt)}`;
}

/** Discord: 429 (after its `retry_after`), 408 and 5xx retry; other 4xx (a deleted webhook) and redirects are permanent. */
export const discordChannel = { kind: 'discord', create: createDiscordChannel } satisfies ChannelModule<'discord'>;
