/** What probes found: the latest result per vantage, history, uptime buckets and the fleet status report. */

export {
  ADDRESS_ROUND_FIELD,
  ADDRESS_STATE_NAMES,
  type AddressEvent,
  type AddressState,
  type AddressStateName,
  parseAddressEvents,
  parseAddressStates,
  readAddressReport,
  readAddressStates,
} from './address-state.js';
export { checkDataKeys, forgetCheckData } from './check-data.js';
export { buildStatus, type StatusReport } from './fleet-status.js';
export { RING_ENTRY_BITS, ringBytes } from './history-ring.js';
export {
  LATENCY_MERGE_CHUNK,
  type LatencyLines,
  LatencyMergeError,
  type LatencyMergeOptions,
  LatencyRollups,
  latencyLine,
  latencyOf,
} from './latency-merge.js';
export {
  decodeLatency,
  decodeLatencyRollup,
  encodeLatency,
  LATENCY_BUCKET_MS,
  LATENCY_PHASES,
  LATENCY_ROLLUP_TTL_MS,
  LATENCY_TIERS,
  type LatencyAggregate,
  type LatencyBucket,
  type LatencyPhase,
  type LatencyRollup,
  type LatencyTier,
  readLatencyRollup,
} from './latency-rollup.js';
export {
  type BookReply,
  RESULT_SCRIPTS,
  type RecordOutcome,
  ResultStore,
  type ResultToRecord,
  type RoundBooking,
  recordResultsCall,
} from './result-store.js';
export {
  readUptime,
  readUptimeDays,
  type UptimeReport,
  type UptimeWindow,
  VERDICT_BUCKET_TTL_S,
  verdictBucketKeys,
} from './uptime.js';
export { HOUR_COUNTS_FIELD } from './verdict-ring.js';
