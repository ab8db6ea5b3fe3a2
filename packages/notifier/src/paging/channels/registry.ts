import {
  CHANNEL_KINDS,
  type ChannelConfig,
  type ChannelKind,
  type ChannelTarget,
  type ContactKind,
  type Person,
} from '@vigil/core';
import type {
  Channel,
  ChannelContext,
  ChannelModule,
  ChannelOptions,
  ChannelRegistry,
  ChannelTargets,
  Page,
} from './channel.js';
import { ChannelHttp } from './http-client.js';
import { discordChannel } from './kinds/discord.js';
import { emailChannel } from './kinds/email.js';
import { mattermostChannel } from './kinds/mattermost.js';
import { ntfyChannel } from './kinds/ntfy.js';
import { opsgenieChannel } from './kinds/opsgenie.js';
import { pagerDutyChannel } from './kinds/pagerduty.js';
import { pushoverChannel } from './kinds/pushover.js';
import { slackChannel } from './kinds/slack.js';
import { teamsChannel } from './kinds/teams.js';
import { telegramChannel } from './kinds/telegram.js';
import { twilioChannel } from './kinds/twilio.js';
import { webhookChannel } from './kinds/webhook.js';

export type { ChannelOptions } from './channel.js';

/** A kind people can be paged by (core's module has a `contact`) must read a person's contact. */
type ModuleOf<K extends ChannelKind> = ChannelModule<K> &
  (K extends ContactKind
    ? { contact(person: Person, channels: readonly ChannelConfig[]): ChannelTargets[K] | undefined }
    : unknown);

/**
 * One entry per kind: a name in core's `CHANNEL_KINDS` without its module here does not compile.
 * Nothing outside a channel's module branches on its kind.
 */
export const channelModules = {
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
} satisfies { [K in ChannelKind]: ModuleOf<K> };

/** Each registry's HTTP connections, for `closeChannels`. */
const connections = new WeakMap<ChannelRegistry, ChannelHttp>();

/** Every channel kind, wired: the registry type makes a new kind fail to compile until it is added here. */
export function createChannels(ctx: ChannelContext, options: ChannelOptions = {}): ChannelRegistry {
  const http = new ChannelHttp();
  const shared = { ...ctx, http };
  // Each kind's module creates that kind's channel; the cast restores what Object.fromEntries drops.
  const registry = Object.fromEntries(
    CHANNEL_KINDS.map((kind) => [kind, channelModules[kind].create(shared, options)]),
  ) as ChannelRegistry;
  connections.set(registry, http);
  return registry;
}

/** Sends a page through the channel of its target's kind. */
export function sendPage(registry: ChannelRegistry, page: Page, target: ChannelTarget): Promise<void> {
  // A target's kind names its channel, so the channel takes that target's settings.
  const channel = registry[target.kind] as Channel;
  return channel.send(page, target);
}

/** The target of a person's contact of `kind`, absent when they have none (or no channel to send it through). */
export function contactTarget(
  person: Person,
  kind: ContactKind,
  channels: readonly ChannelConfig[] = [],
): ChannelTarget | undefined {
  const settings = channelModules[kind].contact(person, channels);
  // The module of `kind` returns that kind's settings.
  return settings ? ({ kind, ...settings } as ChannelTarget) : undefined;
}

/** Whether a person paged through `target` is told of the acknowledgement (`ChannelModule.acknowledgesPeople`). */
export function acknowledgesPeople(target: ChannelTarget): boolean {
  const module = channelModules[target.kind];
  return 'acknowledgesPeople' in module && module.acknowledgesPeople === true;
}

/** Closes the channels that hold connections (SMTP) and the HTTP connections they share; safe to call more than once. */
export async function closeChannels(registry: ChannelRegistry): Promise<void> {
  await Promise.all([
    ...Object.values(registry).map((channel) => channel.close?.()),
    connections.get(registry)?.close(),
  ]);
}
