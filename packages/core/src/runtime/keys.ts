/**
 * The Redis key layout. Everything lives under one prefix; per-check keys carry the check id as a
 * hash tag (`{id}`) so one check's keys share a Cluster slot and its Lua scripts stay legal there.
 */
export function redisKeys(prefix: string) {
  // Stems: a key's name up to an id. A Lua script that learns the id itself (from a counter, a
  // lookup) takes the stem as one of its KEYS and appends the id, and the suffixes below.
  const incidentStem = `${prefix}:incident:`;
  const subscriberStem = `${prefix}:subscriber:`;
  const subscriberByEmailStem = `${prefix}:subscriber-email:`;
  const subscribersOfStem = `${prefix}:subscribers:`;
  return {
    prefix,
    /** hash: check id → Check JSON */
    checks: `${prefix}:checks`,
    /** pub/sub channel announcing registry changes: `{"op":"upsert"|"delete","id":…}` */
    checksChanged: `${prefix}:checks:changed`,
    /** counter bumped on every registry change, for pollers that missed a message */
    checksVersion: `${prefix}:checks:version`,
    /**
     * hash: vantage → latest ProbeResult JSON, `<vantage>:round` → its round, `<vantage>:i` → the
     * vantage's index in history entries, and `~n` → the last index given
     */
    latest: (checkId: string) => `${prefix}:{${checkId}}:latest`,
    /** list, newest first, capped: packed entries (results/history-entry.ts), or JSON from before packing */
    history: (checkId: string) => `${prefix}:{${checkId}}:history`,
    /** zset of `<vantage>:<round>` recently recorded, for idempotency */
    rounds: (checkId: string) => `${prefix}:{${checkId}}:rounds`,
    /** hash for one UTC day: `<vantage>:ok` and `<vantage>:total` counts */
    uptimeDay: (checkId: string, day: string) => `${prefix}:{${checkId}}:uptime:${day}`,
    /**
     * hash of decided rounds (uptime): UTC day (days since the epoch) → packed `ok`, `degraded`, `fail`
     * counts (see results/uptime.ts); the last 100 days
     */
    verdictDays: (checkId: string) => `${prefix}:{${checkId}}:verdicts:days`,
    /** hash as `verdictDays`, by UTC hour (hours since the epoch); the last 49 hours */
    verdictHours: (checkId: string) => `${prefix}:{${checkId}}:verdicts:hours`,
    /**
     * Before packed verdicts: a hash for one UTC day / hour of decided rounds, `ok`, `degraded`, `fail`
     * counts. Still read (they expire within 100 days of an upgrade), no longer written.
     */
    verdictDay: (checkId: string, day: string) => `${prefix}:{${checkId}}:verdicts:${day}`,
    verdictHour: (checkId: string, hour: string) => `${prefix}:{${checkId}}:verdicts:${hour}`,
    /** set: ids of the checks an API token's owner registered (quota counts) */
    checksOfOwner: (owner: string) => `${prefix}:checks:owner:${owner}`,
    /** hash: scheduler id → fingerprint of the slot it was last applied with (`<scheduler>|<members>`) */
    schedulersApplied: `${prefix}:scheduler:applied`,
    // A slot's keys sit beside its vantage's queue (`probe.<vantage>:`), all a prober's ACL lets it read.
    /** hash per slot scheduler: check id → fingerprint of its probe target; kept by the scheduler */
    slotMembers: (vantage: string, slotId: string) => `${prefix}:probe.${vantage}:~slot:${slotId}:members`,
    /** hash per slot scheduler: check id → ProbeTarget JSON, read by a prober only when its fingerprint is new */
    slotTargets: (vantage: string, slotId: string) => `${prefix}:probe.${vantage}:~slot:${slotId}:targets`,
    /** string with a TTL: probes started in the vantage's current rate-limit window */
    proberRateWindow: (vantage: string) => `${prefix}:probe.${vantage}:~rate`,
    /** string with a TTL: the process id of the scheduler that reconciles now */
    schedulerLeader: `${prefix}:scheduler:leader`,
    /** hash: vantage → epoch ms of its latest heartbeat */
    vantageHeartbeats: `${prefix}:vantages:heartbeat`,
    /** hash: counter name → count, per vantage (`<vantage>:expired`, …) */
    proberCounters: `${prefix}:prober:counters`,

    /** hash for one round of a check: vantage → compact outcome, and `~claim` once it is being decided */
    round: (checkId: string, round: number) => `${prefix}:{${checkId}}:round:${round}`,
    /** hash: the check's state machine (state, streaks, rounds of the current failure) */
    checkState: (checkId: string) => `${prefix}:{${checkId}}:state`,
    /** zset: `<check>|<round>` by the time the round is decided without the vantages still missing */
    pendingRounds: `${prefix}:eval:pending`,
    /** hash: check id → transition JSON not yet applied to incidents (the evaluator's outbox) */
    transitions: `${prefix}:eval:transitions`,
    /** zset per vantage: check id by the latest round it reported / failed while others saw it up */
    vantageSeen: (vantage: string) => `${prefix}:vantage:${vantage}:seen`,
    vantageSolo: (vantage: string) => `${prefix}:vantage:${vantage}:solo`,
    /** hash: vantage → JSON { since, reason } while it is impaired or silent */
    vantageProblems: `${prefix}:vantages:problems`,

    /** counter for incident ids */
    incidentSeq: `${prefix}:incidents:seq`,
    /** hash: the incident's fields */
    incident: (id: string) => `${incidentStem}${id}`,
    /** `<stem><id>` and the `:members`, `:updates`, `:paged` below, for open-incident.lua */
    incidentStem,
    /** hash: check id → IncidentMember JSON */
    incidentMembers: (id: string) => `${incidentStem}${id}:members`,
    /** list, oldest first: IncidentUpdate JSON */
    incidentUpdates: (id: string) => `${incidentStem}${id}:updates`,
    /** hash: target key → JSON of a destination paged in the current episode (for acks and resolves) */
    incidentPaged: (id: string) => `${incidentStem}${id}:paged`,
    /** hash: the postmortem of a resolved incident (markdown, by, publishedAt, updatedAt) */
    incidentPostmortem: (id: string) => `${incidentStem}${id}:postmortem`,
    /** zsets of incident ids by start time */
    incidentsOpen: `${prefix}:incidents:open`,
    incidentsAll: `${prefix}:incidents:all`,
    /** string: the latest incident of a group (`component:api`), open or recently resolved */
    incidentGroup: (group: string) => `${prefix}:incident-group:${group}`,
    /** stream of incident events (opened, acknowledged, resolved, …) the notifier reacts to */
    incidentEvents: `${prefix}:incident-events`,

    /** string with a TTL: an acknowledge link already used */
    ackTokenUsed: (nonce: string) => `${prefix}:ack-used:${nonce}`,
    /** string with a TTL: a page delivered (by its dedup key) */
    pageSent: (dedupKey: string) => `${prefix}:page-sent:${dedupKey}`,
    /**
     * hash with a TTL: the attempts at one page (by its dedup key): the job that owns it, the attempt
     * open now (started, not known to have ended), how many were found in doubt, and when it was sent
     */
    pageAttempt: (dedupKey: string) => `${prefix}:page-attempt:${dedupKey}`,
    /** counter with a TTL: pages to one person in one cap window */
    pageCap: (personId: string, window: number) => `${prefix}:page-cap:${personId}:${window}`,
    /** hash: maintenance id → Maintenance JSON, for windows created through the API */
    maintenances: `${prefix}:maintenances`,
    /** counter bumped on every API maintenance change */
    maintenancesVersion: `${prefix}:maintenances:version`,
    /** hash: token id → ApiToken JSON (never the token itself) */
    tokens: `${prefix}:tokens`,
    /** hash: SHA-256 of a token → its id, and `id:<id>` → that hash (for revoking) */
    tokensByHash: `${prefix}:tokens:by-hash`,
    /** counter with a TTL: API requests of one token in one rate-limit window */
    rateLimit: (tokenId: string, window: number) => `${prefix}:rate:${tokenId}:${window}`,

    // Heartbeat checks' keys share one hash tag: a ping is one script over all of them.
    /** hash: SHA-256 of a heartbeat check's ping token → check id */
    heartbeatTokens: `${prefix}:{heartbeats}:tokens`,
    /** hash: check id → its pings' state JSON (token hash, since, lastPing, lastOk, started, …) */
    heartbeatStates: `${prefix}:{heartbeats}:states`,
    /** hash: check id → the body of its last ping that had one (at most 10 KB) */
    heartbeatMessages: `${prefix}:{heartbeats}:messages`,
    /** stream, capped: one entry per ping (check, at, kind, exit code), read by the notifier */
    heartbeatPings: `${prefix}:{heartbeats}:pings`,
    /** counter with a TTL: pings with one token (by its hash's first 16 digits) in one window */
    heartbeatRate: (tokenHash: string, window: number) => `${prefix}:{heartbeats}:rate:${tokenHash}:${window}`,

    /** hash: one email subscriber (email, components, requested, confirmed, …); a TTL while unconfirmed */
    subscriber: (id: string) => `${subscriberStem}${id}`,
    /** `<stem><id>`, for the subscriber scripts */
    subscriberStem,
    /** string: SHA-256 of a normalised address → subscriber id, so no address appears in a key name */
    subscriberByEmail: (emailHash: string) => `${subscriberByEmailStem}${emailHash}`,
    /** `<stem><emailHash>`, for the subscriber scripts */
    subscriberByEmailStem,
    /** string with a TTL: SHA-256 of a confirmation token → subscriber id */
    subscriberToken: (tokenHash: string) => `${prefix}:subscriber-token:${tokenHash}`,
    /** set: ids of the confirmed subscribers of a component (`*`: of every component) */
    subscribersOf: (componentId: string) => `${subscribersOfStem}${componentId}`,
    /** `<stem><componentId>`, for the subscriber scripts */
    subscribersOfStem,
    /** counter with a TTL: sign-ups from one client, or for one address, in one hour */
    subscriberRate: (scope: string, window: number) => `${prefix}:subscriber-rate:${scope}:${window}`,
    /** stream of subscriber mail requests (`confirm`) the notifier sends */
    subscriberMail: `${prefix}:subscriber-mail`,
    /** string with a TTL: a subscriber mail sent (by its dedup key) */
    subscriberMailSent: (dedupKey: string) => `${prefix}:subscriber-mail-sent:${dedupKey}`,

    /** the generated secret used when VIGIL_SECRET is not set */
    generatedSecret: `${prefix}:secret`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** UTC day of an epoch ms timestamp, as `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
