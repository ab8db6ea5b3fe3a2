import type { ChannelContext, ChannelRegistry } from './channel.js';
import { createEmailChannel } from './email.js';
import { createPagerDutyChannel } from './pagerduty.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

export interface ChannelOptions {
  /** Per delivery attempt: HTTP request, or SMTP connect/greeting/idle. Default 10 s. */
  timeoutMs?: number;
}

/** Every channel kind, wired: the registry type makes a new kind fail to compile until it is added here. */
export function createChannels(ctx: ChannelContext, options: ChannelOptions = {}): ChannelRegistry {
  return {
    email: createEmailChannel(ctx, options),
    webhook: createWebhookChannel(ctx, options),
    slack: createSlackChannel(ctx, options),
    pagerduty: createPagerDutyChannel(ctx, options),
  };
}

/** Closes the channels that hold connections (SMTP); safe to call more than once. */
export async function closeChannels(registry: ChannelRegistry): Promise<void> {
  await Promise.all(Object.values(registry).map((channel) => channel.close?.()));
}
