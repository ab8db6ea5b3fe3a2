export {
  type ApiToken,
  DEFAULT_QUOTA,
  DEFAULT_RATE_LIMIT,
  TOKEN_SCOPES,
  type TokenInput,
  type TokenQuota,
  type TokenRateLimit,
  type TokenScope,
  TokenStore,
  tokenInputSchema,
  tokenPatchSchema,
} from './access/api-token.js';
export {
  type Check,
  type CheckDefaults,
  type CheckInput,
  checkDefaultsSchema,
  checkInputSchema,
  checkRevision,
  checkTarget,
  checkToInput,
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
} from './checks/check.js';
export { CheckRegistry, type PutOutcome, type RegistryChange } from './checks/check-registry.js';
export {
  checkIssues,
  cidrSchema,
  componentSchema,
  loadConfig,
  type ProberSettings,
  type PublicComponentRef,
  parseConfig,
  publicComponents,
  type StatusPageSettings,
  statusPageSchema,
  type Vantage,
  type VigilConfig,
  validateConfig,
} from './config/config.js';
export { durationSchema, formatDuration, parseDuration } from './config/duration.js';
export { type FieldIssue, isVigilError, VigilError, type VigilErrorCode } from './errors/errors.js';
export { describeIssues, formatPath, toFieldIssues, validationError } from './errors/issues.js';
export { type AckClaim, createAckToken, redeemAckToken, resolveSecret, verifyAckToken } from './incidents/ack-token.js';
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
} from './incidents/incident.js';
export {
  type IncidentEvent,
  IncidentStore,
  MAX_POSTMORTEM_BYTES,
  type OpenOutcome,
  type OpenRequest,
  type Postmortem,
  type RecoveryOutcome,
} from './incidents/incident-store.js';
export {
  activeMaintenances,
  isUnderMaintenance,
  type MaintenanceWindow,
  maintenanceWindowAt,
  type ScheduledWindow,
  upcomingWindows,
} from './maintenance/maintenance.js';
export { MaintenanceSource } from './maintenance/maintenance-source.js';
export { MaintenanceStore, maintenanceToInput } from './maintenance/maintenance-store.js';
export {
  nextHandoffs,
  type OnCall,
  type OnCallChange,
  type OnCallRow,
  onCallAt,
  onCallPeople,
  onCallReport,
} from './oncall/oncall.js';
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
} from './oncall/paging.js';
export {
  isRoundExpired,
  MAX_RESULT_BATCH,
  type ProbeJob,
  type ProbeJobData,
  type ProbeTarget,
  type ResultBatchData,
  type ResultJobData,
  toProbeTarget,
} from './probes/probe-job.js';
export {
  type AddressOutcome,
  PROBE_ERRORS,
  type ProbeErrorClass,
  type ProbeOutcome,
  type ProbeResult,
  probeOutcomeSchema,
  probeResultSchema,
  type Timings,
} from './probes/probe-result.js';
export { buildStatus, type CheckStatus, type StatusReport, type VantageResult } from './results/fleet-status.js';
export { type RecordOutcome, ResultStore, type UptimeDay } from './results/result-store.js';
export {
  MAX_UPTIME_DAYS,
  readUptime,
  readUptimeDays,
  type UptimeDayCounts,
  type UptimeReport,
  type UptimeWindow,
  utcHour,
  VERDICT_BUCKET_TTL_S,
  verdictBucketKeys,
  type WindowUptime,
} from './results/uptime.js';
export { type Clock, systemClock } from './runtime/clock.js';
export { parseEnv, VIGIL_ENV_NAMES, type VigilEnv } from './runtime/env.js';
export { type RedisKeys, redisKeys, utcDay } from './runtime/keys.js';
export { createLogger, type Logger, type LoggerOptions } from './runtime/logger.js';
export {
  DELIVERIES_QUEUE,
  ESCALATIONS_QUEUE,
  probeQueueName,
  RESULTS_QUEUE,
  roundFromJobId,
  schedulerId,
} from './runtime/queues.js';
export { createRedis, DEFAULT_REDIS_URL, type Redis, redactUrl, redisAnswers, waitForRedis } from './runtime/redis.js';
export { processMetrics, RoleServer, type RoleServerOptions, redisReady } from './runtime/role-server.js';
export { TimedMemo } from './runtime/timed-memo.js';
export { MAJOR_OUTAGE_DAY_SHARE, UPTIME_BAR_DAYS, worstStatus } from './status-page/public-components.js';
export {
  humanDuration,
  type PublicScope,
  publicComponentsOf,
  toPublicIncident,
} from './status-page/public-incident.js';
export {
  COMPONENT_STATUSES,
  type ComponentStatus,
  type PublicCheck,
  type PublicComponent,
  type PublicImpact,
  type PublicIncident,
  type PublicIncidentStatus,
  type PublicIncidentUpdate,
  type PublicMaintenance,
  type PublicStatus,
  type StatusIndicator,
  type UptimeBarDay,
} from './status-page/public-status.js';
export {
  type IncidentHistory,
  MAINTENANCE_HORIZON_MS,
  MAINTENANCE_PAST_MS,
  type PublicStatusContext,
  PublicStatusReader,
  pageIndicator,
  publicStatusReader,
  STATUS_MEMO_MS,
} from './status-page/public-status-reader.js';
export {
  MAX_EMAIL_LENGTH,
  PENDING_SUBSCRIPTION_TTL_MS,
  type PendingConfirmation,
  type SignUpRequest,
  type SubscriberRecipient,
  SubscriberStore,
  subscriberEmailSchema,
} from './status-page/subscriber-store.js';
export { type GuardVerdict, TargetGuard, type TargetGuardOptions } from './targets/target-guard.js';
export { type PolicyTarget, targetPolicyIssues } from './targets/target-policy.js';
