/** Who gets paged: people, schedules with layers and overrides, escalation policies and channels. */
export { type ChannelConfig, channelTarget } from './channel.js';
export type { ChannelKindModule } from './channels/channel-kind.js';
export { NTFY_DEFAULT_SERVER } from './channels/ntfy.js';
export {
  type PushoverCallbackRef,
  pushoverCallbackSignature,
  verifyPushoverCallback,
} from './channels/pushover.js';
export {
  CHANNEL_KINDS,
  type ChannelKind,
  type ChannelSettings,
  type ChannelTarget,
  CONTACT_KINDS,
  CONTACT_NAMES,
  type ContactKind,
  type ContactName,
  type ContactSettings,
  channelKinds,
  contactKindOf,
} from './channels/registry.js';
export { SLACK_ACTIONS } from './channels/slack.js';
export { readTelegramAckData, telegramAckData } from './channels/telegram.js';
export { twilioSignature, verifyTwilioSignature } from './channels/twilio.js';
export type { EscalationTarget } from './escalation.js';
export { type OnCallRow, onCallAt, onCallReport } from './oncall.js';
export type { Person } from './person.js';
