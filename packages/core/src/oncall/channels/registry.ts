import type { z } from 'zod';
import type { ChannelKindModule } from './channel-kind.js';
import { emailChannel } from './email.js';
import { pagerDutyChannel } from './pagerduty.js';
import { slackChannel } from './slack.js';
import { webhookChannel } from './webhook.js';

/** Every kind of paging channel, in the order help texts and errors list them. */
export const CHANNEL_KINDS = ['email', 'webhook', 'slack', 'pagerduty'] as const;
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
} satisfies Record<ChannelKind, ChannelKindModule>;

/** A kind's settings with defaults applied (`{ to: string[] }` for `email`). */
export type ChannelSettings<K extends ChannelKind> = z.output<(typeof channelKinds)[K]['schema']>;

/** Where a page goes: a kind and its settings, `{ kind: 'slack', webhookUrl }`. */
export type ChannelTarget = { [K in ChannelKind]: { kind: K } & ChannelSettings<K> }[ChannelKind];
