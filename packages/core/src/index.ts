export { type AckClaim, createAckToken, redeemAckToken, resolveSecret, verifyAckToken } from './ack-token.js';
export {
  type Check,
  type CheckDefaults,
  type CheckInput,
  checkDefaultsSchema,
  checkInputSchema,
  checkTarget,
  type HttpSpec,
  httpSpecSchema,
  MIN_INTERVAL_MS,
  type Quorum,
  resolveCheck,
  resolvedCheckIssues,
  type StatusRange,
  slugSchema,
  type TcpSpec,
  tcpSpecSchema,
} from './check.js';
export { CheckRegistry, type PutOutcome, type RegistryChange } from './check-registry.js';
export { type Clock, systemClock } from './clock.js';
export {
  cidrSchema,
  loadConfig,
  type ProberSettings,
  parseConfig,
  type Vantage,
  type VigilConfig,
  validateConfig,
} from './config.js';
export { durationSchema, formatDuration, parseDuration } from './duration.js';
export { parseEnv, type VigilEnv } from './env.js';
export { type FieldIssue, isVigilError, VigilError, type VigilErrorCode } from './errors.js';
export {
  type DowntimeBounds,
  downtimeBounds,
  formatDowntime,
  INCIDENT_STATUSES,
  type Incident,
  type IncidentImpact,
  type IncidentMember,
  type IncidentStatus,
  type IncidentUpdate,
  membersDown,
} from './incident.js';
export {
  type IncidentEvent,
  IncidentStore,
  type OpenOutcome,
  type OpenRequest,
  type RecoveryOutcome,
} from './incident-store.js';
export { describeIssues, formatPath, toFieldIssues } from './issues.js';
export { type RedisKeys, redisKeys, utcDay } from './keys.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export {
  activeMaintenances,
  isUnderMaintenance,
  type MaintenanceWindow,
  maintenanceWindowAt,
  type ScheduledWindow,
  upcomingWindows,
} from './maintenance.js';
export { nextHandoffs, type OnCall, type OnCallChange, onCallAt, onCallPeople } from './oncall.js';
export {
  CHANNEL_KINDS,
  type ChannelConfig,
  type ChannelKind,
  channelKind,
  channelSchema,
  type EscalationLevel,
  type EscalationPolicy,
  type EscalationTarget,
  escalationSchema,
  type Handoff,
  type Layer,
  type Maintenance,
  maintenanceSchema,
  type NotifierSettings,
  notifierSettingsSchema,
  type Override,
  type Person,
  personSchema,
  type Rotation,
  type Schedule,
  scheduleLayers,
  scheduleSchema,
  type Weekday,
} from './paging.js';
export {
  isRoundExpired,
  MAX_RESULT_BATCH,
  type ProbeJob,
  type ProbeJobData,
  type ProbeTarget,
  type ResultBatchData,
  type ResultJobData,
  toProbeTarget,
} from './probe-job.js';
export {
  type AddressOutcome,
  PROBE_ERRORS,
  type ProbeErrorClass,
  type ProbeOutcome,
  type ProbeResult,
  probeOutcomeSchema,
  probeResultSchema,
  type Timings,
} from './probe-result.js';
export {
  DELIVERIES_QUEUE,
  ESCALATIONS_QUEUE,
  probeQueueName,
  RESULTS_QUEUE,
  roundFromJobId,
  schedulerId,
} from './queues.js';
export { createRedis, DEFAULT_REDIS_URL, type Redis, redactUrl, redisAnswers, waitForRedis } from './redis.js';
export { type RecordOutcome, ResultStore, type UptimeDay } from './result-store.js';
