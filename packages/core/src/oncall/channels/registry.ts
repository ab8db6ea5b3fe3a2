import type { z } from 'zod';
import type { ChannelKindModule } from './channel-kind.js';
import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { mattermostChannel } from './mattermost.js';
import { ntfyChannel } from './ntfy.js';
import { opsgenieChannel } from './opsgenie.js';
import { pagerDutyChannel } from './pagerduty.js';
import { pushoverChannel } from './pushover.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { telegramChannel } from './telegram.js';
import { twilioChannel } from './twilio.js';
import { webhookChannel } from './webhook.js';

/** Every kind of paging channel, in the order help texts and errors list them. */
export const CHANNEL_KINDS = [
  'email',
  'webhook',
  'slack',
  'pagerduty',
  'twilio',
  'telegram',
  'teams',
  'discord',
  'mattermost',
  'ntfy',
  'pushover',
  'opsgenie',
] as const;
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
  twilio: twilioChannel,
  telegram: telegramChannel,
  teams: teamsChannel,
  discord: discordChannel,
  mattermost: mattermostChannel,
  ntfy: ntfyChannel,
  pushover: pushoverChannel,
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

/** A contact's name in `people[]` and `people[].contact`: its kind's, unless the module names it (`phone`). */
export type ContactName<K extends ContactKind = ContactKind> = K extends ContactKind
  ? Kinds[K] extends { contactName: infer N extends string }
    ? N
    : K
  : never;

/** The name a person's contact of `kind` is written under. */
export function contactName<K extends ContactKind>(kind: K): ContactName<K> {
  const module: ChannelKindModule = channelKinds[kind];
  // A module's `contactName` is the literal its type carries; without one, the name is the kind.
  return (module.contactName ?? kind) as ContactName<K>;
}

/** The contact names, in `CONTACT_KINDS` order. */
export const CONTACT_NAMES = CONTACT_KINDS.map((kind) => contactName(kind)) as [ContactName, ...ContactName[]];

/** The kind of the contact written `name` in a person's `contact` list. */
export function contactKindOf(name: ContactName): ContactKind {
  const kind = CONTACT_KINDS.find((candidate) => contactName(candidate) === name);
  if (kind === undefined) throw new Error(`no contact kind is named ${name}`);
  return kind;
}
