/** Who gets paged: people, schedules with layers and overrides, escalation policies and channels. */
export { type ChannelConfig, channelTarget } from './channel.js';
export type { ChannelKindModule } from './channels/channel-kind.js';
export {
  CHANNEL_KINDS,
  type ChannelKind,
  type ChannelSettings,
  type ChannelTarget,
  CONTACT_KINDS,
  type ContactKind,
  type ContactSettings,
  channelKinds,
} from './channels/registry.js';
export { SLACK_ACTIONS } from './channels/slack.js';
export type { EscalationTarget } from './escalation.js';
export { type OnCallRow, onCallAt, onCallReport } from './oncall.js';
export type { Person } from './person.js';
