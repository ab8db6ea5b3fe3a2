import { createHmac, timingSafeEqual } from 'node:crypto';
import { downtimeBounds, type Incident, type IncidentMember } from '@vigil/core';
import type { Channel, ChannelContext, ChannelModule, Page, PageAction } from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered, postJson } from '../http-delivery.js';
import { isoUtc, listedMembers, pageSubject } from '../page-content.js';

/** How old a signed request may be: bounds the window in which a captured request can be replayed. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/** One check in a webhook body. Instants are ISO 8601 UTC strings. */
export interface WebhookMember {
  checkId: string;
  name: string;
  down: boolean;
  since: string;
  recoveredAt?: string;
  vantagesFailing: string[];
  vantagesTotal: number;
  error?: string;
  message?: string;
}

/**
 * An address of a member check down while its name still answered (`alertOn: address`), or back:
 * what an operator's automation drains from DNS and restores.
 */
export interface WebhookAddressEvent {
  type: 'address down' | 'address back';
  checkId: string;
  address: string;
  /** Its first failed round. */
  since: string;
  /** Its check's first good round (on `address back`). */
  backAt?: string;
  vantagesFailing: string[];
  vantagesTotal: number;
  error?: string;
}

/** The body of a generic webhook (version 1): what receivers parse; add fields, never rename them. */
export interface WebhookPayload {
  version: 1;
  action: PageAction;
  /** The delivery's identity: a receiver that sees it twice has seen the same page twice. */
  dedupKey: string;
  summary: string;
  incident: {
    id: string;
    episode: number;
    title: string;
    group: string;
    impact: Incident['impact'];
    severity: Incident['severity'];
    status: Incident['status'];
    component?: string;
    componentName?: string;
    startedAt: string;
    detectedAt: string;
    acknowledgedAt?: string;
    acknowledgedBy?: string;
    resolvedAt?: string;
    resolvedBy?: string;
    downtime: { atLeastMs: number; atMostMs: number; final: boolean };
    checksTotal: number;
    checksDown: number;
    /** The affected checks, earliest failure first, at most `MEMBER_LIMIT`; `membersOmitted` counts the rest. */
    members: WebhookMember[];
    membersOmitted: number;
  };
  level: number;
  cycle: number;
  recipient?: { id: string; name: string };
  links: Page['links'];
  at: string;
  /** Addresses down (on a trigger or acknowledge) or back (on a resolve); absent when no address is concerned. */
  addressEvents?: WebhookAddressEvent[];
  /** Present on the one message sent instead of a page that could not be delivered before the incident resolved. */
  late?: true;
}

/** Why a request was refused: no headers, too old (or from the future), or not signed with our secret. */
export type WebhookVerification = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export interface VerifyWebhookOptions {
  secret: string;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  timestampHeader: string | null | undefined;
  signatureHeader: string | null | undefined;
  /** The receiver's clock, epoch ms. */
  now: number;
  toleranceMs?: number;
}

/**
 * `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`: signing the timestamp with the body lets receivers
 * refuse old requests without trusting an unsigned header.
 */
export function signWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * Checks a Vigil webhook as a receiver should: signature first (constant time, any of several
 * comma-separated `v1=` values, for secret rotation), then freshness within `toleranceMs`.
 */
export function verifyWebhook(options: VerifyWebhookOptions): WebhookVerification {
  const { secret, body, timestampHeader, signatureHeader, now } = options;
  if (!timestampHeader || !signatureHeader) return { ok: false, reason: 'missing' };
  const expected = Buffer.from(signWebhook(secret, timestampHeader, body).slice(3), 'hex');
  const candidates = signatureHeader
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  const matches = candidates.some((got) => got.length === expected.length && timingSafeEqual(got, expected));
  if (!matches) return { ok: false, reason: 'mismatch' };
  const seconds = /^\d{1,15}$/.test(timestampHeader) ? Number(timestampHeader) : Number.NaN;
  const tolerance = options.toleranceMs ?? WEBHOOK_TOLERANCE_MS;
  if (!(Math.abs(now - seconds * 1000) <= tolerance)) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/** The JSON a webhook receives for a page. */
export function webhookPayload(page: Page): WebhookPayload {
  const { incident } = page;
  const { members, omitted } = listedMembers(page);
  const optionalIso = (at: number | undefined) => (at === undefined ? undefined : isoUtc(at));
  return {
    version: 1,
    action: page.action,
    dedupKey: page.dedupKey,
    summary: pageSubject(page),
    incident: {
      id: incident.id,
      episode: incident.episode,
      title: incident.title,
      group: incident.group,
      impact: incident.impact,
      severity: incident.severity,
      status: incident.status,
      component: incident.component,
      componentName: page.componentName,
      startedAt: isoUtc(incident.startedAt),
      detectedAt: isoUtc(incident.detectedAt),
      acknowledgedAt: optionalIso(incident.acknowledgedAt),
      acknowledgedBy: incident.acknowledgedBy,
      resolvedAt: optionalIso(incident.resolvedAt),
      resolvedBy: incident.resolvedBy,
      downtime: downtimeBounds(incident, page.at),
      checksTotal: incident.members.length,
      checksDown: incident.members.filter((member) => member.down).length,
      members: members.map(webhookMember),
      membersOmitted: omitted,
    },
    level: page.level,
    cycle: page.cycle,
    recipient: page.recipient,
    links: page.links,
    at: isoUtc(page.at),
    ...addressEventsOf(page),
    ...(page.late && { late: true as const }),
  };
}

function addressEventsOf(page: Page): { addressEvents?: WebhookAddressEvent[] } {
  const type = page.action === 'resolve' ? 'address back' : 'address down';
  const events = page.incident.members.flatMap((member) =>
    (member.addresses ?? []).map(
      (address): WebhookAddressEvent => ({
        type,
        checkId: member.checkId,
        address: address.address,
        since: isoUtc(address.since),
        ...(type === 'address back' &&
          member.firstGoodAfter !== undefined && { backAt: isoUtc(member.firstGoodAfter) }),
        vantagesFailing: address.vantagesFailing,
        vantagesTotal: address.vantagesTotal,
        ...(address.error && { error: address.error }),
      }),
    ),
  );
  return events.length > 0 ? { addressEvents: events } : {};
}

/** A signed JSON POST per page, with the page's `Idempotency-Key`; receivers check it with `verifyWebhook`. */
export function createWebhookChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'webhook'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'webhook',
    async send(page, target) {
      const body = JSON.stringify(webhookPayload(page));
      const timestamp = Math.floor(ctx.clock.now() / 1000);
      const headers = {
        // The same on every send of one page (a retry, a resend after a takeover): receivers drop repeats by it.
        'idempotency-key': page.dedupKey,
        'x-vigil-timestamp': String(timestamp),
        'x-vigil-signature': signWebhook(ctx.secret, timestamp, body),
      };
      const status = await postJson({ http: ctx.http, channel: 'webhook', url: target.url, body, headers, timeoutMs });
      logDelivered(ctx.log, { channel: 'webhook', page, url: target.url, status });
    },
  };
}

function webhookMember(member: IncidentMember): WebhookMember {
  return {
    checkId: member.checkId,
    name: member.name,
    down: member.down,
    since: isoUtc(member.firstFailedRound),
    recoveredAt: member.firstGoodAfter === undefined ? undefined : isoUtc(member.firstGoodAfter),
    vantagesFailing: member.vantagesFailing,
    vantagesTotal: member.vantagesTotal,
    error: member.error,
    message: member.message,
  };
}

/** Webhook: 408, 429 and 5xx retry; other 4xx, redirects and bad URLs are permanent. */
export const webhookChannel = {
  kind: 'webhook',
  create: createWebhookChannel,
  contact: (person) => (person.webhook ? { url: person.webhook } : undefined),
} satisfies ChannelModule<'webhook'>;
