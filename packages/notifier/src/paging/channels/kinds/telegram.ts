import { type ChannelConfig, type Person, telegramAckData } from '@vigil/core';
import { postApi } from '../api-delivery.js';
import type { Channel, ChannelContext, ChannelModule, ChannelTargets, Page } from '../channel.js';
import { PermanentDeliveryError } from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered } from '../http-delivery.js';
import { escapeHtml, isWebUrl, listedMembers, memberLines, oneLine, pageSubject, truncate } from '../page-content.js';

/** A Telegram message lists few checks: it is read on a phone. */
const TELEGRAM_MEMBER_LIMIT = 10;
/** Telegram's limit is 4096 characters of text after parsing; the raw HTML stays well under it. */
const TELEGRAM_TEXT_MAX = 3500;

type TelegramTarget = ChannelTargets['telegram'];

/** The Bot API `sendMessage` body Vigil sends. */
export interface TelegramMessage {
  chat_id: string;
  text: string;
  parse_mode: 'HTML';
  link_preview_options: { is_disabled: true };
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

/** The page as Telegram HTML (everything from a check or a person escaped) and, on a trigger, the Acknowledge button. */
export function telegramMessage(page: Page, chatId: string, secret: string): TelegramMessage {
  const { members, omitted } = listedMembers(page, TELEGRAM_MEMBER_LIMIT);
  const lines = [`<b>${escapeHtml(pageSubject(page))}</b>`, escapeHtml(oneLine(page.incident.title)), ''];
  for (const member of members) {
    const details = memberLines(member, page.at).map(escapeHtml).join('; ');
    lines.push(`• <b>${escapeHtml(oneLine(member.name))}</b>: ${details}`);
  }
  if (omitted > 0) lines.push(`<i>and ${omitted} more</i>`);
  const links = telegramLinks(page);
  const text = truncateLines(lines, TELEGRAM_TEXT_MAX - links.length - 2);
  const message: TelegramMessage = {
    chat_id: chatId,
    text: links ? `${text}\n\n${links}` : text,
    parse_mode: 'HTML',
    link_preview_options: { is_disabled: true },
  };
  const data = page.action === 'trigger' ? telegramAckData(secret, page.incident) : undefined;
  if (data) message.reply_markup = { inline_keyboard: [[{ text: 'Acknowledge', callback_data: data }]] };
  return message;
}

/** The Bot API's JSON error (`{ error_code, description }`): its description says what went wrong. */
export function explainTelegramError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { description } = body as { description?: unknown };
  return typeof description === 'string' ? truncate(oneLine(description), 200) : undefined;
}

/** Sends with the Bot API's `sendMessage`; the URL holds the bot token, so only its origin is ever logged. */
export function createTelegramChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'telegram'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'telegram',
    async send(page, target) {
      if (target.chatId === undefined) throw new PermanentDeliveryError('telegram channel has no chatId to page');
      const url = `${target.apiBase.replace(/\/+$/, '')}/bot${target.botToken}/sendMessage`;
      const status = await postApi({
        http: ctx.http,
        channel: 'telegram',
        url,
        body: JSON.stringify(telegramMessage(page, target.chatId, ctx.secret)),
        headers: { 'content-type': 'application/json' },
        timeoutMs,
        explain: explainTelegramError,
      });
      logDelivered(ctx.log, { channel: 'telegram', page, url, status });
    },
  };
}

function telegramLinks(page: Page): string {
  const links: [string, string | undefined][] = [
    ['Acknowledge', page.links.ack],
    ['Incident', page.links.incident],
    ['Status page', page.links.statusPage],
  ];
  return links
    .flatMap(([label, url]) => (url && isWebUrl(url) ? [`<a href="${escapeHtml(url)}">${label}</a>`] : []))
    .join(' · ');
}

/** Drops whole lines past `max` (cutting inside a line could cut an HTML tag in half). */
function truncateLines(lines: string[], max: number): string {
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > max) {
      kept.push('<i>…</i>');
      break;
    }
    kept.push(line);
    size += line.length + 1;
  }
  return kept.join('\n');
}

/** A person's `telegram` chat id, paged through the first declared telegram channel's bot. */
function chatContact(person: Person, channels: readonly ChannelConfig[]): TelegramTarget | undefined {
  const bot = channels.find((channel) => channel.telegram !== undefined)?.telegram;
  return person.telegram && bot ? { ...bot, chatId: person.telegram } : undefined;
}

/** Telegram: 2xx delivers; 408, 429 (retry_after) and 5xx retry; other 4xx (chat not found, bot blocked) are permanent. */
export const telegramChannel = {
  kind: 'telegram',
  create: createTelegramChannel,
  contact: chatContact,
} satisfies ChannelModule<'telegram'>;
