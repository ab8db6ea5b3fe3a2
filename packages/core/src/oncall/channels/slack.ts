import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** A message through an incoming webhook: one way, no buttons. */
const slackWebhookSchema = z.strictObject({ webhookUrl: httpsUrlSchema });

/**
 * App mode: `chat.postMessage` with the bot token, Acknowledge and Resolve buttons, the message
 * updated in place; Slack's interaction requests are verified with the signing secret.
 */
const slackAppSchema = z.strictObject({
  botToken: z.string().regex(/^xoxb-[A-Za-z0-9-]{8,250}$/, { error: 'expected a Slack bot token (xoxb-…)' }),
  /** The conversation id (`C0123ABCD`), not its name: names change, ids do not. */
  channelId: z.string().regex(/^[CGD][A-Z0-9]{4,30}$/, { error: 'expected a Slack channel id such as C0123ABCD' }),
  signingSecret: z.string().min(16).max(200),
  /** Slack's Web API; change it only for a proxy. */
  apiBase: httpsUrlSchema.default('https://slack.com/api'),
});

export const slackChannelSchema = z.union([slackWebhookSchema, slackAppSchema], {
  error: 'expected { webhookUrl } or the app form { botToken, channelId, signingSecret }',
});

/** A person's Slack identity: who a button press comes from (`people[].slack.userId`). */
export const slackUserSchema = z.strictObject({
  userId: z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: 'expected a Slack user id such as U0123ABCD' }),
});

/** The `action_id`s of the buttons of an app-mode message: what a press asks Vigil to do. */
export const SLACK_ACTIONS = { acknowledge: 'vigil_acknowledge', resolve: 'vigil_resolve' } as const;

export const slackChannel = {
  summary: 'a Slack message: an incoming webhook, or the app form with Acknowledge and Resolve buttons',
  example: `channels:
  - { id: slack-hook, slack: { webhookUrl: "\${SLACK_WEBHOOK}" } }   # one way
  - id: slack-ops                                                   # app mode: Acknowledge and Resolve buttons
    slack: { botToken: "\${SLACK_BOT_TOKEN}", channelId: C0123ABCD, signingSecret: "\${SLACK_SIGNING_SECRET}" }
people:
  - { id: ana, name: Ana, email: ana@example.com, slack: { userId: U0123ABCD } }   # who a press is from
`,
  schema: slackChannelSchema,
} satisfies ChannelKindModule;
