import { NTFY_DEFAULT_SERVER, type Person } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, ChannelTargets, Page } from '../channel.js';
import { chatFacts, chatMembers, listedOmitted } from '../chat-text.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered, postJson } from '../http-delivery.js';
import { oneLine, pageSubject, truncate } from '../page-content.js';

/** ntfy turns a message over 4,096 bytes into an attachment; a page stays a message. */
export const NTFY_MESSAGE_MAX_BYTES = 4_096;
const TITLE_MAX = 250;

/** ntfy's priorities: 5 urgent (long vibration, bypasses Do Not Disturb on Android) to 1 min. */
export type NtfyPriority = 1 | 2 | 3 | 4 | 5;

const TRIGGER_PRIORITIES: Record<Page['incident']['severity'], NtfyPriority> = {
  critical: 5,
  major: 4,
  minor: 3,
  info: 2,
};

/** The priority of a page: a trigger by the incident's severity, an acknowledgement low, a resolve default. */
export function ntfyPriority(page: Page): NtfyPriority {
  if (page.action === 'resolve') return 3;
  if (page.action === 'acknowledge') return 2;
  return TRIGGER_PRIORITIES[page.incident.severity];
}

/** The request ntfy documents for publishing (https://docs.ntfy.sh/publish/): the body is the message. */
export interface NtfyRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The publish request for a page to `server/topic`: headers carry the title, priority, tags and actions. */
export function ntfyRequest(page: Page, target: ChannelTargets['ntfy']): NtfyRequest {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerValue(truncate(pageSubject(page), TITLE_MAX)),
    priority: String(ntfyPriority(page)),
    tags: tags(page).join(','),
  };
  const incident = page.links.incident;
  if (incident && isHeaderUrl(incident)) headers.click = incident;
  const actions = ntfyActions(page);
  if (actions) headers.actions = actions;
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  return { url: `${target.server}/${target.topic}`, headers, body: ntfyMessage(page) };
}

/** Publishes to the topic; 200 delivers, 429 and 5xx retry, other 4xx (a refused token, a bad topic) are permanent. */
export function createNtfyChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'ntfy'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'ntfy',
    async send(page, target) {
      const { url, headers, body } = ntfyRequest(page, target);
      const status = await postJson({ http: ctx.http, channel: 'ntfy', url, body, headers, timeoutMs });
      logDelivered(ctx.log, { channel: 'ntfy', page, url, status });
    },
  };
}

/** A person's topic on ntfy.sh, or a topic URL on another server (`https://ntfy.example.com/ana`). */
export function ntfyContact(person: Person): ChannelTargets['ntfy'] | undefined {
  const contact = person.ntfy;
  if (contact === undefined) return undefined;
  if (!contact.includes('/')) return { server: NTFY_DEFAULT_SERVER, topic: contact };
  const slash = contact.replace(/\/+$/, '').lastIndexOf('/');
  return { server: contact.slice(0, slash), topic: contact.slice(slash + 1).replace(/\/+$/, '') };
}

/** The message: the headline, the facts and the checks, as plain text (ntfy renders no markdown unless asked). */
export function ntfyMessage(page: Page): string {
  const lines = [oneLine(page.incident.title), ...chatFacts(page).map(([label, value]) => `${label}: ${value}`)];
  const members = chatMembers(page);
  if (members.length > 0) lines.push('', ...members.map(({ name, details }) => `• ${name}: ${details}`));
  const omitted = listedOmitted(page);
  if (omitted > 0) lines.push(`and ${omitted} more`);
  return truncateBytes(lines.join('\n'), NTFY_MESSAGE_MAX_BYTES);
}

/** `view, Acknowledge, https://…, clear=true; view, Incident, https://…`: buttons on the notification. */
function ntfyActions(page: Page): string | undefined {
  const actions: string[] = [];
  if (page.links.ack && isHeaderUrl(page.links.ack)) actions.push(`view, Acknowledge, ${page.links.ack}, clear=true`);
  if (page.links.incident && isHeaderUrl(page.links.incident)) actions.push(`view, Incident, ${page.links.incident}`);
  return actions.length > 0 ? actions.join('; ') : undefined;
}

/** Emoji shortcodes ntfy shows before the title, then the severity: never tenant text. */
function tags(page: Page): string[] {
  if (page.action === 'resolve') return ['white_check_mark', 'resolved'];
  if (page.action === 'acknowledge') return ['eyes', 'acknowledged'];
  return [page.incident.severity === 'critical' ? 'rotating_light' : 'warning', page.incident.severity];
}

/** An http(s) URL that can sit in a header and in ntfy's action list (no `,` or `;` to split it). */
function isHeaderUrl(url: string): boolean {
  return /^https?:\/\/[\x21-\x7e]+$/i.test(url) && !/[,;]/.test(url);
}

/** Header values are ASCII: anything else goes as an RFC 2047 encoded word, which ntfy decodes. */
function headerValue(text: string): string {
  const line = oneLine(text);
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(`${text.slice(0, end)}…`, 'utf8') > maxBytes) end -= 64;
  return `${text.slice(0, Math.max(0, end))}…`;
}

/** ntfy: 408, 429 and 5xx retry; other 4xx (401/403 a refused token, 413) and redirects are permanent. */
export const ntfyChannel = {
  kind: 'ntfy',
  create: createNtfyChannel,
  contact: ntfyContact,
} satisfies ChannelModule<'ntfy'>;
