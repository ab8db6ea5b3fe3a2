export { CheckStates, withStreakRounds } from './evaluation/check-state.js';
export {
  ResultRecorder,
  type ResultRecorderContext,
  type ResultRecorderOptions,
} from './evaluation/result-recorder.js';
export { parseBook, RoundBook } from './evaluation/round-book.js';
export {
  failuresNeeded,
  judgeRound,
  type RoundOutcome,
  type RoundVerdict,
  type Verdict,
} from './evaluation/round-verdict.js';
export {
  LatencyAggregator,
  type LatencyAggregatorContext,
  type LatencyAggregatorOptions,
} from './latency/latency-aggregator.js';
export { Notifier, type NotifierOptions } from './notifier.js';
export { createNotifierContext, type NotifierContext, type NotifierInput } from './notifier-context.js';
export type { Channel, ChannelContext, ChannelRegistry, Page, PageAction } from './paging/channels/channel.js';
export { PermanentDeliveryError } from './paging/channels/channel.js';
export {
  signWebhook,
  verifyWebhook,
  type WebhookAddressEvent,
  type WebhookPayload,
} from './paging/channels/kinds/webhook.js';
export { closeChannels, createChannels } from './paging/channels/registry.js';
