/** What passes between scheduler, prober and notifier: a probe job and a probe result. */
export {
  isRoundExpired,
  MAX_RESULT_BATCH,
  type ProbeJobData,
  type ProbeTarget,
  type ResultBatchData,
  type ResultJobData,
  type SlotJobData,
  toProbeTarget,
} from './probe-job.js';
export {
  type AddressOutcome,
  DNS_ANSWER_MAX_CHARS,
  type DnsAnswer,
  type IcmpReplies,
  type ProbeErrorClass,
  type ProbeOutcome,
  type ProbeResult,
  probeResultSchema,
  type Timings,
} from './probe-result.js';
export {
  decodeResultBatch,
  encodeResultBatch,
  RESULT_STREAM_GROUP,
  RESULT_STREAM_MAXLEN,
  type ResultBacklog,
  resultBacklog,
} from './result-stream.js';
export {
  decodeSlot,
  decodeStoredTarget,
  encodeSlotMembers,
  encodeSlotTargets,
  encodeStoredTarget,
  encodeStoredTargetText,
  isCurrentStoredTarget,
  SLOT_FINGERPRINT_LENGTH,
  type SlotMember,
  TARGET_REVISION_LENGTH,
  targetRevision,
} from './slot-targets.js';
