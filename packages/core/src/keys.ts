/**
 * The Redis key layout. Everything lives under one prefix; per-check keys carry the check id as a
 * hash tag (`{id}`) so one check's keys share a Cluster slot and its Lua scripts stay legal there.
 */
export function redisKeys(prefix: string) {
  return {
    prefix,
    /** hash: check id → Check JSON */
    checks: `${prefix}:checks`,
    /** pub/sub channel announcing registry changes: `{"op":"upsert"|"delete","id":…}` */
    checksChanged: `${prefix}:checks:changed`,
    /** counter bumped on every registry change, for pollers that missed a message */
    checksVersion: `${prefix}:checks:version`,
    /** hash: vantage → latest ProbeResult JSON, and `<vantage>:round` → its round */
    latest: (checkId: string) => `${prefix}:{${checkId}}:latest`,
    /** list, newest first, capped: ProbeResult JSON */
    history: (checkId: string) => `${prefix}:{${checkId}}:history`,
    /** zset of `<vantage>:<round>` recently recorded, for idempotency */
    rounds: (checkId: string) => `${prefix}:{${checkId}}:rounds`,
    /** hash for one UTC day: `<vantage>:ok` and `<vantage>:total` counts */
    uptimeDay: (checkId: string, day: string) => `${prefix}:{${checkId}}:uptime:${day}`,
    /** hash: scheduler id → fingerprint of the check it was last upserted with */
    schedulersApplied: `${prefix}:scheduler:applied`,
    /** string with a TTL: the process id of the scheduler that reconciles now */
    schedulerLeader: `${prefix}:scheduler:leader`,
    /** hash: vantage → epoch ms of its latest heartbeat */
    vantageHeartbeats: `${prefix}:vantages:heartbeat`,
    /** hash: counter name → count, per vantage (`<vantage>:expired`, …) */
    proberCounters: `${prefix}:prober:counters`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** UTC day of an epoch ms timestamp, as `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
