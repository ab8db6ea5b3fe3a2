import type { z } from 'zod';
import type { ChannelKindModule } from './channel-kind.js';
import { emailChannel } from './email.js';
import { opsgenieChannel } from './opsgenie.js';
import { pagerDutyChannel } from './pagerduty.js';
import { slackChannel } from './slack.js';
import { webhookChannel } from './webhook.js';

/** Every kind of paging channel, in the order help texts and errors list them. */
export const CHANNEL_KINDS = ['email', 'webhook', 'slack', 'pagerduty', 'opsgenie'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/**
 * One entry per kind: a name in `CHANNEL_KINDS` without its module here (or its sender in the
 * notifier's `paging/channels/registry.ts`) does not compile.
 */
export const channelKinds = {
  email: emailChannel,
  webhook: webhookChannel,
  slack: slackChannel,
  pagerduty: pagerDutyChannel,
  opsgenie: opsgenieChannel,
} satisfies Record<ChannelKind, ChannelKindModule>;

/** A kind's settings with defaults applied (`{ to: string[] }` for `email`). */
export type ChannelSettings<K extends ChannelKind> = z.output<(typeof channelKinds)[K]['schema']>;

/** Where a page goes: a kind and its settings, `{ kind: 'slack', webhookUrl }`. */
export type ChannelTarget = { [K in ChannelKind]: { kind: K } & ChannelSettings<K> }[ChannelKind];

type Kinds = typeof channelKinds;

/** The kinds a person can be paged by: those whose module says how a person's contact is written. */
export type ContactKind = { [K in ChannelKind]: Kinds[K] extends { contact: z.ZodType } ? K : never }[ChannelKind];

/** The contact kinds, in `CHANNEL_KINDS` order: the order a person's contacts are tried in by default. */
export const CONTACT_KINDS = CHANNEL_KINDS.filter((kind) => 'contact' in channelKinds[kind]) as [
  ContactKind,
  ...ContactKind[],
];

/** How a person's contact of `kind` is written (`string` for an email address). */
export type ContactSettings<K extends ContactKind> = z.output<Kinds[K]['contact']>;
