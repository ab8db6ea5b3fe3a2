import { parseRedisUrl } from './redis-url.js';

/** How keys are laid out: on one Redis as they always were, or sharded over a Redis Cluster's slots. */
export interface KeyLayout {
  /** On a Redis Cluster: how many hash-tag shards per-check keys spread over. Absent on one Redis. */
  shards?: number;
}

/** The layout a Redis location asks for: sharded for a `redis+cluster://` URL. */
export function keyLayoutOf(url: string): KeyLayout {
  const target = parseRedisUrl(url);
  return target.mode === 'cluster' ? { shards: target.shards } : {};
}

/**
 * The Redis key layout. Everything lives under one prefix. On one Redis, per-check keys carry the
 * check id as a hash tag (`{id}`), the layout every existing deployment has. On a Redis Cluster
 * (`layout.shards`) a batch script must find its checks' keys in one slot, so per-check keys carry
 * their shard's tag instead (`{s<n>}`, the shard a stable hash of the check id): a batch takes one
 * script call per shard present, and the shards spread over the masters. Each BullMQ queue keeps
 * its keys (and the slots of probes beside a probe queue) under a tag of its own (`{probe.<vantage>}`),
 * and the other keys (registry, incidents, tokens, …) share one tag (`{g}`), so their scripts stay legal.
 */
export function redisKeys(prefix: string, layout: KeyLayout = {}) {
  const cluster = layout.shards !== undefined;
  const shards = layout.shards ?? 1;
  if (cluster && /[{}]/.test(prefix))
    throw new Error(`a key prefix on a Redis Cluster takes no { or }: Vigil tags keys itself, got "${prefix}"`);
  /** The shard of a check: 0 on one Redis. */
  const shardOf = (checkId: string): number => (cluster ? fnv1a(checkId) % shards : 0);
  /**
   * Where a shard's own keys start (`~`, which no check id starts with, keeps them apart from its
   * checks' keys); on one Redis the prefix, so the single shard's keys keep their old names.
   */
  const shardRoot = (shard: number) => (cluster ? `${prefix}:{s${shard}}:~` : `${prefix}:`);
  const checkRoot = (checkId: string) =>
    cluster ? `${prefix}:{s${shardOf(checkId)}}:${checkId}` : `${prefix}:{${checkId}}`;
  /** BullMQ's prefix for one queue: its keys are `<this>:<queue name>:…`. */
  const queuePrefix = (queue: string) => (cluster ? `${prefix}:{${queue}}` : prefix);
  const probeRoot = (vantage: string) => `${queuePrefix(`probe.${vantage}`)}:probe.${vantage}`;
  // Keys of no check and no queue: one tag on a Cluster, so scripts over several of them stay legal.
  const root = cluster ? `${prefix}:{g}` : prefix;
  // Stems: a key's name up to an id. A Lua script that learns the id itself (from a counter, a
  // lookup) takes the stem as one of its KEYS and appends the id, and the suffixes below.
  const incidentStem = `${root}:incident:`;
  const subscriberStem = `${root}:subscriber:`;
  const subscriberByEmailStem = `${root}:subscriber-email:`;
  const subscribersOfStem = `${root}:subscribers:`;
  return {
    prefix,
    /** Whether keys are sharded for a Redis Cluster. */
    cluster,
    /** How many shards per-check keys spread over: 1 on one Redis. */
    shards,
    shardOf,
    queuePrefix,
    /** hash: check id → Check JSON */
    checks: `${root}:checks`,
    /** pub/sub channel announcing registry changes: `{"op":"upsert"|"delete","id":…}` */
    checksChanged: `${root}:checks:changed`,
    /** counter bumped on every registry change, for pollers that missed a message */
    checksVersion: `${root}:checks:version`,
    /**
     * hash: vantage → latest ProbeResult in its compact form (results/latest-result.ts; JSON before),
     * `<vantage>:i` → `index|slot|round` (its index in history entries, last message slot, latest
     * round; `<vantage>:round` held the round before), and `~w`, the history ring's position, cap,
     * base and layout (its message slots too, before `latestMessages`; see
     * results/lua/record-results.lua); the evaluator's round books, `~b<round>`, and `~a`, the last
     * round decided (results/lua/includes/book-outcome.lua)
     */
    latest: (checkId: string) => `${checkRoot(checkId)}:latest`,
    /**
     * hash, only a check with messages has it: `~m<slot>` → `<entry>|<message>`, the history ring's
     * message slots, and `<vantage>` → the message of a latest result too long for the latest hash
     * (kept listpack-encoded: values ≤ 64 bytes); see results/lua/record-results.lua
     */
    latestMessages: (checkId: string) => `${checkRoot(checkId)}:msg`,
    /** string: the history ring, fixed 70-bit entries (10-byte before; results/history-ring.ts) */
    historyRing: (checkId: string) => `${checkRoot(checkId)}:ring`,
    /** string: latency rollups, 30-min and 3-h buckets per vantage in a fixed layout (results/latency-rollup.ts) */
    latencyRollup: (checkId: string) => `${checkRoot(checkId)}:latency`,
    /**
     * list, newest first, capped: history before the ring (packed entries, results/history-entry.ts,
     * or JSON). Read after the ring's entries until the ring is full, then deleted.
     */
    history: (checkId: string) => `${checkRoot(checkId)}:history`,
    /**
     * Before the ring: a hash for one UTC day, `<vantage>:ok` and `<vantage>:total` counts. Still
     * read (they expire within 2 days of an upgrade), no longer written.
     */
    uptimeDay: (checkId: string, day: string) => `${checkRoot(checkId)}:uptime:${day}`,
    /**
     * string of decided rounds (uptime): a ring of `ok`, `degraded`, `fail` counts, a slot per UTC day,
     * the last 91 days (results/verdict-ring.ts)
     */
    verdictDayRing: (checkId: string) => `${checkRoot(checkId)}:verdicts:day-ring`,
    /** string as `verdictDayRing`, a slot per UTC hour; the last 26 hours */
    verdictHourRing: (checkId: string) => `${checkRoot(checkId)}:verdicts:hour-ring`,
    /**
     * Before the rings: hashes of decided rounds, UTC day (days since the epoch) or hour → packed
     * `ok`, `degraded`, `fail` counts (see results/uptime.ts). Still read (they expire within 91 days
     * of an upgrade), no longer written.
     */
    verdictDays: (checkId: string) => `${checkRoot(checkId)}:verdicts:days`,
    verdictHours: (checkId: string) => `${checkRoot(checkId)}:verdicts:hours`,
    /**
     * Before packed verdicts: a hash for one UTC day / hour of decided rounds, `ok`, `degraded`, `fail`
     * counts. Still read (they expire within 100 days of an upgrade), no longer written.
     */
    verdictDay: (checkId: string, day: string) => `${checkRoot(checkId)}:verdicts:${day}`,
    verdictHour: (checkId: string, hour: string) => `${checkRoot(checkId)}:verdicts:${hour}`,
    /** set: ids of the checks an API token's owner registered (quota counts) */
    checksOfOwner: (owner: string) => `${root}:checks:owner:${owner}`,
    /** hash: scheduler id → fingerprint of the slot it was last applied with (`<scheduler>|<members>`) */
    schedulersApplied: `${root}:scheduler:applied`,
    // A slot's keys sit beside its vantage's queue (`probe.<vantage>:`), all a prober's ACL lets it read.
    /**
     * string per slot scheduler: the members' fingerprint, then each member's check id and target
     * revision, a line each (probes/slot-targets.ts); kept by the scheduler, its head read by a prober
     * every round. In the layout before, each member's ProbeTarget JSON instead (still read).
     */
    slot: (vantage: string, slotId: string) => `${probeRoot(vantage)}:~slot:${slotId}`,
    /**
     * hash per vantage and shard: check id → ProbeTarget JSON (deflated) of every check a slot of the
     * vantage names; kept by the scheduler, read (only) by the vantage's probers for a revision they
     * have not cached. Beside the vantage's queue, so a prober's ACL reads its own vantage's targets only.
     */
    probeTargets: (vantage: string, shard: number) => `${probeRoot(vantage)}:~targets:${shard}`,
    /**
     * Before one string per slot: hashes per slot scheduler, check id → fingerprint of its probe
     * target, and check id → ProbeTarget JSON. Read while a slot has no string yet (an upgrade).
     */
    slotMembers: (vantage: string, slotId: string) => `${probeRoot(vantage)}:~slot:${slotId}:members`,
    slotTargets: (vantage: string, slotId: string) => `${probeRoot(vantage)}:~slot:${slotId}:targets`,
    /** string with a TTL: probes started in the vantage's current rate-limit window */
    proberRateWindow: (vantage: string) => `${probeRoot(vantage)}:~rate`,
    /** string with a TTL: the process id of the scheduler that reconciles now */
    schedulerLeader: `${root}:scheduler:leader`,
    /** hash: vantage → epoch ms of its latest heartbeat */
    vantageHeartbeats: `${root}:vantages:heartbeat`,
    /** hash: counter name → count, per vantage (`<vantage>:expired`, …) */
    proberCounters: `${root}:prober:counters`,

    /**
     * Before round books moved into the latest hash: a hash for one round of a check, vantage →
     * compact outcome, and `~claim`. No longer written (they expired a few intervals on).
     */
    round: (checkId: string, round: number) => `${checkRoot(checkId)}:round:${round}`,
    /** hash: the check's state machine (state, streaks, rounds of the current failure) */
    checkState: (checkId: string) => `${checkRoot(checkId)}:state`,
    /** hash: each resolved address of an `allAddresses` check → its AddressState JSON; `~round`; `~events` (the last 10) */
    addressStates: (checkId: string) => `${checkRoot(checkId)}:addresses`,
    /**
     * stream per shard: result batches from probers, one entry per batch of the shard's checks
     * (probes/result-stream.ts), read by the notifiers' consumer group; beside the shard's check keys
     */
    resultStream: (shard: number) => `${shardRoot(shard)}result-batches`,
    /**
     * zset per shard, by the time a round is decided without the vantages still missing: `|<check>|<round>…`,
     * the rounds one recording booked first with that deadline (`<check>|<round>`, one round, before)
     */
    pendingRounds: (shard: number) => `${shardRoot(shard)}eval:pending`,
    /** hash per shard: check id → transition JSON not yet applied to incidents (the evaluator's outbox) */
    transitions: (shard: number) => `${shardRoot(shard)}eval:transitions`,
    /** hash per shard: `<check>|<address>|<round>` → address transition JSON not yet acted on (`alertOn: address`) */
    addressTransitions: (shard: number) => `${shardRoot(shard)}eval:address-transitions`,
    /** zset per vantage: check id by the latest round it failed while others saw it up */
    vantageSolo: (vantage: string) => `${root}:vantage:${vantage}:solo`,
    /**
     * HyperLogLog per vantage and time bucket (its start, epoch ms; half of `vantages.window`):
     * the checks it reported in decided rounds of that bucket, counted with PFCOUNT over the window's
     * buckets (notifier's evaluation/vantage-seen.ts). Beside the other vantage keys, so one vantage's
     * buckets share a slot on a Cluster, as a PFCOUNT of several keys needs. Expire past the window.
     */
    vantageSeenBucket: (vantage: string, start: number) => `${root}:vantage:${vantage}:seen:${start}`,
    /**
     * Before the buckets: a zset per vantage, check id by the latest round it reported. No longer
     * written; still trimmed and counted until it empties (one window after an upgrade), then gone.
     */
    vantageSeen: (vantage: string) => `${root}:vantage:${vantage}:seen`,
    /** hash: vantage → JSON { since, reason } while it is impaired or silent */
    vantageProblems: `${root}:vantages:problems`,

    /** counter for incident ids */
    incidentSeq: `${root}:incidents:seq`,
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
    /** list per (episode, Slack conversation): the `ts` of each app-mode message posted, updated in place on ack and resolve */
    incidentSlackMessages: (id: string, episode: number, channelId: string) =>
      `${incidentStem}${id}:slack:${episode}:${channelId}`,
    /** hash: the postmortem of a resolved incident (markdown, by, publishedAt, updatedAt) */
    incidentPostmortem: (id: string) => `${incidentStem}${id}:postmortem`,
    /** zsets of incident ids by start time */
    incidentsOpen: `${root}:incidents:open`,
    incidentsAll: `${root}:incidents:all`,
    /** string: the latest incident of a group (`component:api`), open or recently resolved */
    incidentGroup: (group: string) => `${root}:incident-group:${group}`,
    /** stream of incident events (opened, acknowledged, resolved, …) the notifier reacts to */
    incidentEvents: `${root}:incident-events`,

    /** string with a TTL: an acknowledge link already used */
    ackTokenUsed: (nonce: string) => `${root}:ack-used:${nonce}`,
    /** string with a TTL: a provider's inbound request already acted on (`telegram` and its callback id; Slack, PagerDuty, Opsgenie and a digest of the signed request) */
    inboundSeen: (provider: string, id: string) => `${root}:inbound-seen:${provider}:${id}`,
    /** string with a TTL: a page delivered (by its dedup key) */
    pageSent: (dedupKey: string) => `${root}:page-sent:${dedupKey}`,
    /**
     * hash with a TTL: the attempts at one page (by its dedup key): the job that owns it, the attempt
     * open now (started, not known to have ended), how many were found in doubt, and when it was sent
     */
    pageAttempt: (dedupKey: string) => `${root}:page-attempt:${dedupKey}`,
    /** counter with a TTL: pages to one person in one cap window */
    pageCap: (personId: string, window: number) => `${root}:page-cap:${personId}:${window}`,
    /** hash: maintenance id → Maintenance JSON, for windows created through the API */
    maintenances: `${root}:maintenances`,
    /** counter bumped on every API maintenance change */
    maintenancesVersion: `${root}:maintenances:version`,
    /** hash: token id → ApiToken JSON (never the token itself) */
    tokens: `${root}:tokens`,
    /** hash: SHA-256 of a token → its id, and `id:<id>` → that hash (for revoking) */
    tokensByHash: `${root}:tokens:by-hash`,
    /** hash: token id → when it was last used (ms), noted at most once a minute */
    tokensLastUsed: `${root}:tokens:last-used`,
    /** counter with a TTL: API requests of one token in one rate-limit window */
    rateLimit: (tokenId: string, window: number) => `${root}:rate:${tokenId}:${window}`,
    /** string with a TTL (idle, capped by the absolute expiry): a console session's JSON, by the SHA-256 of its id */
    consoleSession: (idHash: string) => `${root}:console:session:${idHash}`,
    /** set: the session id hashes of one principal (`token:<id>`), for sign-out everywhere */
    consoleSessionsOf: (principal: string) => `${root}:console:sessions:${principal}`,

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
    subscriberToken: (tokenHash: string) => `${root}:subscriber-token:${tokenHash}`,
    /** set: ids of the confirmed subscribers of a component (`*`: of every component) */
    subscribersOf: (componentId: string) => `${subscribersOfStem}${componentId}`,
    /** `<stem><componentId>`, for the subscriber scripts */
    subscribersOfStem,
    /** counter with a TTL: sign-ups from one client, or for one address, in one hour */
    subscriberRate: (scope: string, window: number) => `${root}:subscriber-rate:${scope}:${window}`,
    /** stream of subscriber mail requests (`confirm`) the notifier sends */
    subscriberMail: `${root}:subscriber-mail`,
    /** string with a TTL: a subscriber mail sent (by its dedup key) */
    subscriberMailSent: (dedupKey: string) => `${root}:subscriber-mail-sent:${dedupKey}`,

    /** the generated secret used when VIGIL_SECRET is not set */
    generatedSecret: `${root}:secret`,
    /** string with a short TTL, taken once (GETDEL): an OIDC sign-in under way (nonce, PKCE verifier), by its state */
    consoleOidcFlow: (state: string) => `${root}:console:oidc-flow:${state}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Items of one shard, in the caller's order, with where each stood in the caller's list. */
export interface ShardGroup<T> {
  shard: number;
  items: T[];
  positions: number[];
}

/**
 * A batch split by shard, for a script that takes many checks' keys: one group on one Redis, one
 * per shard present on a Cluster. Order within a group is the caller's, so per-check order holds.
 */
export function groupByShard<T>(
  keys: Pick<RedisKeys, 'shardOf'>,
  items: readonly T[],
  checkIdOf: (item: T) => string,
): ShardGroup<T>[] {
  const groups = new Map<number, ShardGroup<T>>();
  items.forEach((item, position) => {
    const shard = keys.shardOf(checkIdOf(item));
    const group = groups.get(shard) ?? { shard, items: [], positions: [] };
    groups.set(shard, group);
    group.items.push(item);
    group.positions.push(position);
  });
  return [...groups.values()];
}

/**
 * The answers of a script called once per shard group (its pipeline's `replies`, a group's reply an
 * array with one answer per item), put back in the items' order: the way back from `groupByShard`.
 * A group whose call failed throws its error.
 */
export function scatterReplies<R>(
  groups: readonly Pick<ShardGroup<unknown>, 'positions'>[],
  replies: readonly [Error | null, unknown][],
  parse: (answer: unknown) => R,
): R[] {
  const answers: R[] = new Array(groups.reduce((count, group) => count + group.positions.length, 0));
  groups.forEach((group, i) => {
    const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
    if (err) throw err;
    group.positions.forEach((position, j) => {
      answers[position] = parse((reply as unknown[])[j]);
    });
  });
  return answers;
}

/**
 * FNV-1a, 32 bits: a stable, fast spread of check ids over shards (a shard must never move, or a
 * check's keys would be lost); a few lines, where a hashing library would be a dependency for nothing.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** UTC day of an epoch ms timestamp, as `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
