import { hostname } from 'node:os';
import {
  type Clock,
  type Logger,
  type PublicIncident,
  type PublicIncidentUpdate,
  PublicStatusReader,
  publicComponents,
  type Redis,
  type RedisKeys,
  SubscriberStore,
  type VigilConfig,
} from '@vigil/core';
import { type Channel, PermanentDeliveryError } from './channels/channel.js';
import { sendChannelMail } from './channels/email.js';

export interface SubscriberMailerOptions {
  redis: Redis;
  /** A connection of its own: the mailer blocks on it reading the streams. */
  reader: Redis;
  keys: RedisKeys;
  log: Logger;
  clock: Clock;
  config: VigilConfig;
  secret: string;
  /** The notifier's email channel: subscriber mail leaves through its SMTP server or outbox. */
  email: Channel<'email'>;
  /** Base of links when `statusPage.url` is not set. */
  publicUrl: string;
  /** Entries another consumer took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
}

const GROUP = 'subscriber-mailer';
/** A sent mail's dedup key outlives any redelivery of the stream entry that caused it. */
const SENT_TTL_S = 7 * 86_400;
/** Events that add a public timeline entry; acknowledgements and joins are the operators' business. */
const MAILED_EVENTS = new Set(['opened', 'reopened', 'partial', 'resolved', 'updated']);

type StreamEntry = [id: string, fields: string[]];
type Fields = Record<string, string>;

/**
 * Mails status page subscribers: the confirmation mails the web role queues on `subscriberMail`, and
 * each public incident update to the confirmed subscribers of its components, one message per
 * recipient. Both streams are read in one consumer group, so several notifiers share the work; a
 * dedup key per (entry, subscriber) set before sending means a retry or restart never mails twice.
 */
export class SubscriberMailer {
  private readonly consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly store: SubscriberStore;
  private readonly statusReader: PublicStatusReader;
  private readonly componentNames: ReadonlyMap<string, string>;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: SubscriberMailerOptions) {
    this.store = new SubscriberStore(options);
    this.statusReader = new PublicStatusReader(options);
    this.componentNames = new Map(publicComponents(options.config).map((c) => [c.id, c.name]));
  }

  async start(): Promise<void> {
    const { keys } = this.options;
    // Incident events from before the first start are history, not news; queued confirmations are owed.
    await this.createGroup(keys.incidentEvents, '$');
    await this.createGroup(keys.subscriberMail, '0');
    this.running = this.loop();
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.options.reader.disconnect();
    await this.running;
  }

  private async createGroup(stream: string, from: string): Promise<void> {
    await this.options.redis.xgroup('CREATE', stream, GROUP, from, 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  private async loop(): Promise<void> {
    const { reader, keys, log } = this.options;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim > 5_000) {
          lastClaim = Date.now();
          await this.takeOverAbandoned();
        }
        const reply = (await reader.xreadgroup(
          'GROUP',
          GROUP,
          this.consumer,
          'COUNT',
          50,
          'BLOCK',
          1_000,
          'STREAMS',
          keys.incidentEvents,
          keys.subscriberMail,
          '>',
          '>',
        )) as [string, StreamEntry[]][] | null;
        for (const [stream, entries] of reply ?? []) await this.handleAll(stream, entries);
      } catch (err) {
        if (this.stopping) break;
        log.warn({ err: (err as Error).message }, 'subscriber mail stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** Entries whose consumer died, or whose mail failed and was left unacknowledged, are tried again. */
  private async takeOverAbandoned(): Promise<void> {
    const { redis, keys } = this.options;
    for (const stream of [keys.incidentEvents, keys.subscriberMail]) {
      const [, entries] = (await redis.xautoclaim(
        stream,
        GROUP,
        this.consumer,
        this.options.claimIdleMs ?? 30_000,
        '0-0',
        'COUNT',
        50,
      )) as [string, StreamEntry[]];
      await this.handleAll(
        stream,
        entries.filter((entry) => Array.isArray(entry?.[1])),
      );
    }
  }

  /** Acknowledges an entry once its mail went out; a failed one stays pending for a later attempt. */
  private async handleAll(stream: string, entries: StreamEntry[]): Promise<void> {
    for (const [entryId, list] of entries) {
      const fields: Fields = {};
      for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] ?? ''] = list[i + 1] ?? '';
      try {
        if (stream === this.options.keys.subscriberMail) await this.sendConfirmation(entryId, fields);
        else await this.sendUpdate(entryId, fields);
        await this.options.redis.xack(stream, GROUP, entryId);
      } catch (err) {
        this.options.log.warn({ err: (err as Error).message, entry: entryId }, 'subscriber mail failed; will retry');
      }
    }
  }

  private async sendConfirmation(entryId: string, fields: Fields): Promise<void> {
    if (fields.type !== 'confirm' || !fields.id) return;
    const subscriberId = fields.id;
    await this.once(`confirm:${entryId}`, async () => {
      // The token is minted here, at sending time: it exists only in this mail, never in Redis.
      const pending = await this.store.issueConfirmation(subscriberId);
      if (!pending) return;
      const base = trimSlash(fields.url || this.baseUrl());
      const { title } = this.options.config.statusPage;
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

  private async sendUpdate(entryId: string, event: Fields): Promise<void> {
    if (!MAILED_EVENTS.has(event.type ?? '') || !event.id) return;
    const incident = await this.statusReader.incident(event.id);
    if (!incident) return; // fleet incidents and those of private components are nobody's news
    const update = entryAt(incident, Number(event.at));
    if (!update) return;
    for (const subscriber of await this.store.subscribersFor(incident.components)) {
      await this.once(`update:${entryId}:${subscriber.id}`, () =>
        this.send(subscriber.id, entryId, this.updateMail(incident, update, subscriber)),
      );
    }
  }

  private updateMail(
    incident: PublicIncident,
    update: PublicIncidentUpdate,
    subscriber: { id: string; email: string },
  ): { to: string; subject: string; text: string; headers: Record<string, string> } {
    const base = trimSlash(this.baseUrl());
    const { title } = this.options.config.statusPage;
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
    entryId: string,
    mail: { to: string; subject: string; text: string; headers?: Record<string, string> },
  ): Promise<void> {
    await sendChannelMail(
      this.options.email,
      { ...mail, headers: { ...mail.headers, 'Auto-Submitted': 'auto-generated' } },
      { key: `subscriber-${entryId}-${subscriberId}`, logAs: `subscriber:${subscriberId}` },
    );
  }

  /**
   * Runs `send` at most once per key, across retries and restarts: the key is set first and released
   * only when the send failed in a way worth retrying. A refused address is logged and not retried.
   */
  private async once(key: string, send: () => Promise<void>): Promise<void> {
    const { redis, keys, log } = this.options;
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
    return this.options.config.statusPage.url ?? this.options.publicUrl;
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
