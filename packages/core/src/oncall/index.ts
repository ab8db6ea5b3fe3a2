/** Who gets paged: people, schedules with layers and overrides, escalation policies and channels. */
export { CHANNEL_KINDS, type ChannelConfig, type ChannelKind } from './channel.js';
export type { EscalationTarget } from './escalation.js';
export { type OnCallRow, onCallAt, onCallReport } from './oncall.js';
export type { Person } from './person.js';
