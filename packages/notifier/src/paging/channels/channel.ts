import type {
  ChannelConfig,
  ChannelKind,
  ChannelSettings,
  Clock,
  Incident,
  Logger,
  Person,
  RoleContext,
} from '@vigil/core';
import type { ChannelHttp } from './http-client.js';

export type { ChannelTarget } from '@vigil/core';

/** What a page asks of its channel: open (or re-send) the alert, mark it acknowledged, or close it. */
export type PageAction = 'trigger' | 'acknowledge' | 'resolve';

/** One page to one destination: everything a woken engineer needs, already decided. */
export interface Page {
  action: PageAction;
  /** Stable per (incident, episode, cycle, level, target, action): the delivery's identity. */
  dedupKey: string;
  incident: Incident;
  /** Display name of the component, when the incident has one. */
  componentName?: string;
  /** The escalation level (0-based) and repeat cycle that sent it. */
  level: number;
  cycle: number;
  /** The person paged, when the target is a person (through a schedule or directly). */
  recipient?: { id: string; name: string };
  links: {
    /** Signed, expiring, single-use acknowledge link; absent on resolves. */
    ack?: string;
    incident?: string;
    statusPage?: string;
  };
  /** When the page was decided (epoch ms). */
  at: number;
  /**
   * A resolve standing in for a page that could not be delivered before its incident resolved: the one
   * message its destination gets ("was down from … to …, your page could not be delivered in time").
   */
  late?: boolean;
}

/** Where a page goes, per channel kind: the settings its core module declares. */
export type ChannelTargets = { [K in ChannelKind]: ChannelSettings<K> };

/** What every channel may use: the secret signing webhooks, the SMTP settings or the outbox, time. */
export interface ChannelContext {
  log: Logger;
  clock: Clock;
  /** HMAC key for webhook signatures (VIGIL_SECRET). */
  secret: string;
  /** `smtp://user:pass@host:port` or `smtps://…`; without it, email goes to `outboxDir`. */
  smtpUrl?: string;
  outboxDir: string;
  /** The From address of pages. */
  from: string;
  /** Where channels keep what they must find again (Slack app messages to update in place). */
  store?: Pick<RoleContext, 'redis' | 'keys'>;
  /** The HTTP connections the channels share (keep-alive per origin): `createChannels` sets it, `closeChannels` closes it. */
  http?: ChannelHttp;
}

/** A channel sends one page; it throws on failure (`PermanentDeliveryError` when retrying is useless). */
export interface Channel<K extends ChannelKind = ChannelKind> {
  kind: K;
  send(page: Page, target: ChannelTargets[K]): Promise<void>;
  close?(): Promise<void>;
}

/** Every kind must be wired: a new kind does not compile until it has a channel. */
export type ChannelRegistry = { [K in ChannelKind]: Channel<K> };

export interface ChannelOptions {
  /** Per delivery attempt: HTTP request, or SMTP connect/greeting/idle. Default 10 s. */
  timeoutMs?: number;
}

/**
 * The notifier half of a channel kind, one per file beside this one: its sender (which throws
 * `PermanentDeliveryError` for the failures retrying cannot help, anything else is retried) and, when
 * a person can be paged this way, the target of their contact of this kind.
 */
export interface ChannelModule<K extends ChannelKind> {
  kind: K;
  create(ctx: ChannelContext, options: ChannelOptions): Channel<K>;
  /** A person's contact of this kind (`people[].<kind>`), absent when they have none; `channels` hold provider accounts. */
  contact?(person: Person, channels: readonly ChannelConfig[]): ChannelTargets[K] | undefined;
  /**
   * A person paged this way gets the acknowledge page too (people otherwise get only the resolve):
   * Pushover's stops their phone alerting again once someone else has acknowledged.
   */
  acknowledgesPeople?: true;
}

/** A delivery that will fail the same way however often it is retried (a 4xx, a refused address). */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/** A delivery the provider asked to retry no sooner than `retryAfterMs` (HTTP 429 `Retry-After`, Slack's `ratelimited`). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}
