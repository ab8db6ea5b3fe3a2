/** What is watched: a check, its target and revision, its component, its states, and the registry that holds them. */
export { type BodyPattern, compileBodyPattern } from './body-pattern.js';
export {
  ALERT_ON,
  type AlertOn,
  type Check,
  type CheckCommon,
  type CheckInput,
  checkInputSchema,
  checkRevision,
  checkToInput,
  type FileCheckInput,
  fileCheckInputSchema,
  namedVantages,
  type Quorum,
  resolveCheck,
  slugSchema,
  vantagesFor,
} from './check.js';
export { CheckRegistry } from './check-registry.js';
export { CHECK_LIST_STATES, type CheckListState, type CheckStateName } from './check-state-name.js';
export { FULL_READ_DUTY, type FullRead, fullReadDue } from './full-read.js';
export {
  type HeartbeatState,
  HeartbeatStore,
  MAX_PING_BODY,
  PING_RATE_LIMIT,
  type PingEntry,
  type PingKind,
  type PingOutcome,
} from './heartbeat-store.js';
export type { AnyCheckKindModule, CheckKindModule, KindFlag, PolicyHost } from './kinds/check-kind.js';
export {
  DNS_PORT,
  DNS_RCODES,
  DNS_RECORD_TYPES,
  type DnsRecordType,
  type DnsSpec,
  dnsServer,
  dnsSpecSchema,
} from './kinds/dns.js';
export {
  type HeartbeatSpec,
  heartbeatDeadline,
  heartbeatSpecSchema,
  nextScheduledRun,
} from './kinds/heartbeat.js';
export { type HttpSpec, httpSpecSchema, REDACTED, type StatusRange } from './kinds/http.js';
export { ICMP_DEFAULT_COUNT, type IcmpSpec, icmpSpecSchema } from './kinds/icmp.js';
export {
  apiCheckIssues,
  CHECK_KINDS,
  type CheckKind,
  checkKinds,
  checkLimitKey,
  checkTarget,
  describeCheckTarget,
  isProbed,
  type KindSettings,
  type KindSpec,
  kindModule,
  kindSettingsOf,
  kindsIn,
  type PolicyTarget,
  type ProbedCheckKind,
  pickKindSettings,
  policyHostsOf,
  publicCheckTarget,
} from './kinds/registry.js';
export { type TcpSpec, tcpSpecSchema } from './kinds/tcp.js';
/** The registry's value in the form the release before wrote: for benches that play it. */
export { encodeStoredCheckText } from './stored-check.js';
