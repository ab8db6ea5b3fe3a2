import { type Person, pushoverCallbackSignature } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, ChannelTargets, Page } from '../channel.js';
import { chatMembers, listedOmitted } from '../chat-text.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered, postJson } from '../http-delivery.js';
import { downtimeText, isWebUrl, oneLine, pageSubject, truncate } from '../page-content.js';

/** Pushover's documented limits (https://pushover.net/api#limits). */
export const PUSHOVER_LIMITS = { title: 250, message: 1_024, url: 512, urlTitle: 100 } as const;

/** Where Pushover posts when someone acknowledges an emergency page (the web role's route). */
export const PUSHOVER_CALLBACK_PATH = '/integrations/pushover/callback';

/** One API call: a message, or cancelling the re-alerts of the incident's emergency pages. */
export interface PushoverRequest {
  url: string;
  form: Record<string, string>;
}

/**
 * The tag of every emergency page of an incident episode: an acknowledgement or resolve cancels them
 * all by it (`cancel_by_tag`), so no phone keeps alerting for an incident someone has taken.
 */
export function pushoverTag(page: Page): string {
  return `vigil-${page.incident.id}-${page.incident.episode}`;
}

/**
 * The calls for a page: a trigger is one emergency message (priority 2, alerting again every `retry`
 * seconds for `expire` seconds, with a signed callback that acknowledges in Vigil); an acknowledge or
 * resolve first cancels those re-alerts, then says so (priority -1 and 0).
 */
export function pushoverRequests(page: Page, target: ChannelTargets['pushover'], secret: string): PushoverRequest[] {
  const api = `${target.apiBase ?? 'https://api.pushover.net'}/1`;
  const message: Record<string, string> = {
    token: target.token,
    user: target.user,
    ...(target.device && { device: target.device }),
    title: truncate(pageSubject(page), PUSHOVER_LIMITS.title),
    message: pushoverText(page),
    timestamp: String(Math.floor(page.at / 1000)),
  };
  const incident = page.links.incident;
  if (incident && isWebUrl(incident) && incident.length <= PUSHOVER_LIMITS.url) {
    message.url = incident;
    message.url_title = 'Incident in Vigil';
  }
  if (page.action === 'trigger') {
    const callback = callbackUrl(page, secret);
    const emergency = {
      priority: '2',
      retry: String(target.retry ?? 60),
      expire: String(target.expire ?? 3_600),
      tags: pushoverTag(page),
      ...(callback && { callback }),
    };
    return [{ url: `${api}/messages.json`, form: { ...message, ...emergency } }];
  }
  const cancel = { url: `${api}/receipts/cancel_by_tag/${pushoverTag(page)}.json`, form: { token: target.token } };
  const priority = page.action === 'resolve' ? '0' : '-1';
  return [cancel, { url: `${api}/messages.json`, form: { ...message, priority } }];
}

/** Sends a page to Pushover as form posts; 200 delivers, 429 and 5xx retry, other 4xx (a bad token or key) are permanent. */
export function createPushoverChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'pushover'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'pushover',
    async send(page, target) {
      for (const { url, form } of pushoverRequests(page, target, ctx.secret)) {
        const body = new URLSearchParams(form).toString();
        const headers = { 'content-type': 'application/x-www-form-urlencoded' };
        const status = await postJson({ http: ctx.http, channel: 'pushover', url, body, headers, timeoutMs });
        logDelivered(ctx.log, { channel: 'pushover', page, url, status });
      }
    },
  };
}

/** A person's user key and the application token that pages it. */
export function pushoverContact(person: Person): ChannelTargets['pushover'] | undefined {
  const contact = person.pushover;
  if (contact === undefined) return undefined;
  return { retry: 60, expire: 3_600, ...contact, apiBase: contact.apiBase ?? 'https://api.pushover.net' };
}

/** Plain text (Pushover renders HTML only when asked, and Vigil never asks): the checks, or the downtime. */
function pushoverText(page: Page): string {
  const lines = [oneLine(page.incident.title)];
  if (page.action === 'resolve') lines.push(`Downtime: ${downtimeText(page)}`);
  for (const { name, details } of chatMembers(page, 5)) lines.push(`• ${name}: ${details}`);
  const omitted = listedOmitted(page, 5);
  if (omitted > 0) lines.push(`and ${omitted} more`);
  return truncate(lines.join('\n'), PUSHOVER_LIMITS.message);
}

/**
 * `<public URL>/integrations/pushover/callback?incident=…&episode=…&by=…&sig=…`, signed with
 * VIGIL_SECRET (Pushover does not sign callbacks). The public URL is the base of the page's incident link.
 */
function callbackUrl(page: Page, secret: string): string | undefined {
  const incident = page.links.incident;
  const suffix = `/incidents/${page.incident.id}`;
  if (!incident?.endsWith(suffix) || !isWebUrl(incident)) return undefined;
  const ref = { incidentId: page.incident.id, episode: page.incident.episode, by: page.recipient?.name ?? 'on-call' };
  const query = new URLSearchParams({
    incident: ref.incidentId,
    episode: String(ref.episode),
    by: ref.by,
    sig: pushoverCallbackSignature(secret, ref),
  });
  const url = `${incident.slice(0, -suffix.length)}${PUSHOVER_CALLBACK_PATH}?${query}`;
  return url.length <= PUSHOVER_LIMITS.url ? url : undefined;
}

/** Pushover: 429 (over the month's quota) and 5xx retry; other 4xx (an invalid token, user or device) are permanent. */
export const pushoverChannel = {
  kind: 'pushover',
  create: createPushoverChannel,
  contact: pushoverContact,
  acknowledgesPeople: true,
} satisfies ChannelModule<'pushover'>;
