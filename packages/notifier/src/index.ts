export type { Channel, ChannelContext, ChannelRegistry, Page, PageAction } from './channels/channel.js';
export { PermanentDeliveryError } from './channels/channel.js';
export { closeChannels, createChannels } from './channels/registry.js';
export { type CheckStateName, CheckStates } from './check-state.js';
export { Notifier, type NotifierOptions } from './notifier.js';
export { ResultRecorder, type ResultRecorderOptions } from './result-recorder.js';
export { failuresNeeded, judgeRound, type RoundOutcome, type RoundVerdict, type Verdict } from './round-verdict.js';
