import {
  type PublicIncident,
  type PublicIncidentUpdate,
  type PublicStatusReader,
  publicComponents,
  type Redis,
  type SubscriberStore,
} from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import { PermanentDeliveryError } from '../paging/channels/channel.js';
import { sendChannelMail } from '../paging/channels/kinds/email.js';
import { type StreamFields, StreamGroup } from '../stream-group.js';

/**
 * Mail leaves through the notifier's email channel (its SMTP server or outbox); `publicUrl` is the
 * base of links when `statusPage.url` is not set.
 */
type SubscriberMailerContext = Pick<
  NotifierContext,
  'redis' | 'keys' | 'log' | 'config' | 'channels' | 'publicUrl' | 'subscribers' | 'publicStatus'
>;

export interface SubscriberMailerParts {
  /** A connection of its own: the mailer blocks on it reading the streams. */
  reader: Redis;
  /** Entries another consumer took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
}

const GROUP = 'subscriber-mailer';
/** A sent mail's dedup key outlives any redelivery of the stream entry that caused it. */
const SENT_TTL_S = 7 * 86_400;
/**
 * Events that add a public timeline entry; acknowledgements and joins are the operators' business, and
 * a `postmortem` (published, revised or removed) is never mailed: subscribers hear of status changes
 * and human updates only.
 */
const MAILED_EVENTS = new Set(['opened', 'reopened', 'partial', 'resolved', 'updated']);

/**
 * Mails status page subscribers: the confirmation mails the web role queues on `subscriberMail`, and
 * each public incident update to the confirmed subscribers of its components, one message per
 * recipient. Both streams are read in one consumer group, so several notifiers share the work; a
 * dedup key per (timeline entry, subscriber) set before sending means a retry, a restart or a second
 * event about the same entry never mails twice.
 */
export class SubscriberMailer {
  private readonly store: SubscriberStore;
  private readonly statusReader: PublicStatusReader;
  private readonly componentNames: ReadonlyMap<string, string>;
  private readonly streams: StreamGroup;

  constructor(
    private readonly ctx: SubscriberMailerContext,
    parts: SubscriberMailerParts,
  ) {
    this.store = ctx.subscribers;
    this.statusReader = ctx.publicStatus;
    this.componentNames = new Map(publicComponents(ctx.config).map((c) => [c.id, c.name]));
    const { keys } = ctx;
    this.streams = new StreamGroup(ctx, {
      ...parts,
      group: GROUP,
      // Incident events from before the first start are history, not news; queued confirmations are owed.
      streams: [
        { key: keys.incidentEvents, from: '$' },
        { key: keys.subscriberMail, from: '0' },
      ],
      name: 'subscriber mail',
      // A failed mail leaves its entry pending: taken over and tried again later.
      handle: (stream, entryId, fields) =>
        stream === keys.subscriberMail ? this.sendConfirmation(entryId, fields) : this.sendUpdate(fields),
    });
  }

  start(): Promise<void> {
    return this.streams.start();
  }

  close(): Promise<void> {
    return this.streams.close();
  }

  private async sendConfirmation(entryId: string, fields: StreamFields): Promise<void> {
    if (fields.type !== 'confirm' || !fields.id) return;
    const subscriberId = fields.id;
    await this.once(`confirm:${entryId}`, async () => {
      // The token is minted here, at sending time: it exists only in this mail, never in Redis.
      const pending = await this.store.issueConfirmation(subscriberId);
      if (!pending) return;
      const base = trimSlash(fields.url || this.baseUrl());
      const { title } = this.ctx.config.statusPage;
      const what = pending.components.map((id) => this.componentNames.get(id) ?? id).join(', ');
      const text = [
        pending.confirmed
          ? `Please confirm the change to your ${title} status updates${what ? `: ${what}` : ': every component'}.`
          : `Please confirm that you want ${title} status updates by email${what ? ` about ${what}` : ''}.`,
        '',
        `Confirm: ${base}/subscribe/confirm/${pending.token}`,
        '',
        'The link works once and expires in 48 hours. If you did not ask for this, ignore this message.',
      ].join('\n');
      await this.send(subscriberId, entryId, {
        to: pending.email,
        subject: `[${title}] Confirm your subscription`,
        text,
      });
    });
  }

  private async sendUpdate(event: StreamFields): Promise<void> {
    if (!MAILED_EVENTS.has(event.type ?? '') || !event.id) return;
    // Vigil's own `updated` entries (an address down or back) are timeline detail, not news to mail.
    if (event.type === 'updated' && event.by === 'vigil') return;
    const incident = await this.statusReader.incident(event.id);
    if (!incident) return; // fleet incidents and those of private components are nobody's news
    const update = entryAt(incident, Number(event.at));
    if (!update) return;
    // Keyed by the timeline entry, not the stream entry: two events naming one entry mail it once.
    for (const subscriber of await this.store.subscribersFor(incident.components)) {
      await this.once(`update:${update.id}:${subscriber.id}`, () =>
        this.send(subscriber.id, update.id, this.updateMail(incident, update, subscriber)),
      );
    }
  }

  private updateMail(
    incident: PublicIncident,
    update: PublicIncidentUpdate,
    subscriber: { id: string; email: string },
  ): { to: string; subject: string; text: string; headers: Record<string, string> } {
    const base = trimSlash(this.baseUrl());
    const { title } = this.ctx.config.statusPage;
    const status = capitalise(update.status);
    const unsubscribe = `${base}/unsubscribe/${this.store.unsubscribeToken(subscriber.id)}`;
    const affected = incident.components.map((id) => this.componentNames.get(id) ?? id).join(', ');
    const text = [
      incident.name,
      '',
      `${status}: ${update.message}`,
      `${new Date(update.at).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      '',
      `Affected: ${affected}`,
      `Details: ${base}/incidents/${encodeURIComponent(incident.id)}`,
      '',
      `You receive this because you subscribed to ${title} status updates.`,
      `Unsubscribe: ${unsubscribe}`,
    ].join('\n');
    return {
      to: subscriber.email,
      subject: `[${title}] ${status}: ${incident.name}`,
      text,
      // RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
      headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    };
  }

  /** One recipient per message, never CC or BCC: no mail reveals another subscriber. */
  private async send(
    subscriberId: string,
    /** The stream entry (confirmations) or timeline entry (updates) the mail is about: its Message-ID. */
    entryId: string,
    mail: { to: string; subject: string; text: string; headers?: Record<string, string> },
  ): Promise<void> {
    await sendChannelMail(
      this.ctx.channels.email,
      { ...mail, headers: { ...mail.headers, 'Auto-Submitted': 'auto-generated' } },
      { key: `subscriber-${entryId}-${subscriberId}`, logAs: `subscriber:${subscriberId}` },
    );
  }

  /**
   * Runs `send` at most once per key, across retries and restarts: the key is set first and released
   * only when the send failed in a way worth retrying. A refused address is logged and not retried.
   */
  private async once(key: string, send: () => Promise<void>): Promise<void> {
    const { redis, keys, log } = this.ctx;
    const sentKey = keys.subscriberMailSent(key);
    if ((await redis.set(sentKey, '1', 'EX', SENT_TTL_S, 'NX')) === null) return;
    try {
      await send();
    } catch (err) {
      if (err instanceof PermanentDeliveryError) {
        log.warn({ err: err.message, mail: key }, 'subscriber mail refused');
        return;
      }
      await redis.del(sentKey);
      throw err;
    }
  }

  private baseUrl(): string {
    return this.ctx.config.statusPage.url ?? this.ctx.publicUrl;
  }
}

/** The timeline entry an event wrote: the newest at or before the event (later ones have their own events). */
function entryAt(incident: PublicIncident, at: number): PublicIncidentUpdate | undefined {
  return incident.updates.find((update) => update.at <= at) ?? incident.updates[0];
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
