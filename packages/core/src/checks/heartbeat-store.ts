import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';

/** What a ping says: the job succeeded, started, or failed (`/fail`, or a non-zero exit code). */
export type PingKind = 'success' | 'start' | 'fail';

/** The largest body a ping may carry, kept as the check's last message. */
export const MAX_PING_BODY = 10 * 1024;

/** How many pings one token may send per window: a job pings once a run, so this only stops a loop. */
export const PING_RATE_LIMIT = { max: 30, perMs: 60_000 };

/** The stream of pings is capped near this many entries: the notifier reads them within ticks. */
const PING_STREAM_CAP = 10_000;

/** A heartbeat check's pings so far, as the notifier judges them and the API shows them. */
export interface HeartbeatState {
  /** When its first token was made: lateness is counted from here until a success. */
  since?: number;
  lastPing?: number;
  lastKind?: PingKind;
  exitCode?: number;
  lastOk?: number;
  lastFail?: number;
  /** A `/start` not yet followed by a success or failure. */
  started?: number;
}

/** One ping as the stream carries it to the notifier. */
export interface PingEntry {
  entryId: string;
  checkId: string;
  at: number;
  kind: PingKind;
  exitCode?: number;
}

export type PingOutcome =
  | { status: 'unknown' }
  | { status: 'recorded'; checkId: string }
  | { status: 'limited'; checkId: string; retryAfterS: number };

interface HeartbeatCommands {
  vigilPingHeartbeat(...keysThenArgs: (string | number)[]): Promise<[string, number] | null>;
  vigilRotateHeartbeatToken(
    tokens: string,
    states: string,
    checkId: string,
    hash: string,
    now: number,
  ): Promise<number>;
  vigilForgetHeartbeat(tokens: string, states: string, messages: string, checkId: string): Promise<number>;
}

const TOKEN_PREFIX = 'hb_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Heartbeat checks' ping tokens and pings. Like API tokens, Redis holds only each token's SHA-256
 * (192 random bits need no slow hash), so a dump lets nobody ping; the token is shown once.
 */
export class HeartbeatStore {
  private readonly redis: Redis & HeartbeatCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<HeartbeatCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** A new token for the check; the previous one stops working. The returned token exists nowhere else. */
  async rotate(checkId: string, now: number): Promise<string> {
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    const { keys } = this.ctx;
    await this.redis.vigilRotateHeartbeatToken(
      keys.heartbeatTokens,
      keys.heartbeatStates,
      checkId,
      hashToken(token),
      now,
    );
    return token;
  }

  /**
   * Records a ping: one script, so an unknown token costs the same round trip as a known one and
   * stores nothing; a token past its rate limit is counted but its ping not recorded.
   */
  async ping(
    token: string,
    ping: { kind: PingKind; exitCode?: number; body?: string; now: number },
  ): Promise<PingOutcome> {
    const { keys } = this.ctx;
    const hash = hashToken(token);
    const { max, perMs } = PING_RATE_LIMIT;
    const window = Math.floor(ping.now / perMs);
    const reply = await this.redis.vigilPingHeartbeat(
      keys.heartbeatTokens,
      keys.heartbeatStates,
      keys.heartbeatMessages,
      keys.heartbeatPings,
      keys.heartbeatRate(hash.slice(0, 16), window),
      hash,
      ping.now,
      ping.kind,
      ping.exitCode === undefined ? '' : ping.exitCode,
      ping.body ?? '',
      max,
      perMs,
      PING_STREAM_CAP,
    );
    if (!reply) return { status: 'unknown' };
    const [checkId, count] = reply;
    if (count > max) {
      return { status: 'limited', checkId, retryAfterS: Math.ceil(((window + 1) * perMs - ping.now) / 1000) };
    }
    return { status: 'recorded', checkId };
  }

  /** The pings' state of each check asked for that has one. */
  async states(checkIds: readonly string[]): Promise<Map<string, HeartbeatState>> {
    const found = new Map<string, HeartbeatState>();
    if (checkIds.length === 0) return found;
    const raws = await this.ctx.redis.hmget(this.ctx.keys.heartbeatStates, ...checkIds);
    checkIds.forEach((id, i) => {
      const raw = raws[i];
      if (raw) found.set(id, publicState(JSON.parse(raw) as HeartbeatState & { token?: string }));
    });
    return found;
  }

  /** The check's pings' state and its last message: for the authenticated API only (a body may hold secrets). */
  async show(checkId: string): Promise<{ state?: HeartbeatState; message?: string }> {
    const { redis, keys } = this.ctx;
    const [raw, message] = await redis
      .multi()
      .hget(keys.heartbeatStates, checkId)
      .hget(keys.heartbeatMessages, checkId)
      .exec()
      .then((replies) => (replies ?? []).map(([, value]) => value as string | null));
    return {
      ...(raw && { state: publicState(JSON.parse(raw) as HeartbeatState & { token?: string }) }),
      ...(message && { message }),
    };
  }

  /** A deleted check's token stops working and its state goes. */
  async forget(checkId: string): Promise<void> {
    const { keys } = this.ctx;
    await this.redis.vigilForgetHeartbeat(keys.heartbeatTokens, keys.heartbeatStates, keys.heartbeatMessages, checkId);
  }

  /** Creates the consumer group the notifiers share (from the stream's start), if missing. */
  async joinPings(group: string): Promise<void> {
    await this.ctx.redis.xgroup('CREATE', this.ctx.keys.heartbeatPings, group, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  /**
   * Pings for this consumer, without blocking, in one round trip: with `claimIdleMs`, first those it or
   * a consumer gone for that long left unacknowledged, then new ones. Acknowledge each with `ackPings`.
   */
  async readPings(
    group: string,
    consumer: string,
    options: { count: number; claimIdleMs?: number },
  ): Promise<PingEntry[]> {
    const { redis, keys } = this.ctx;
    const stream = keys.heartbeatPings;
    const pipeline = redis.pipeline();
    const { claimIdleMs } = options;
    if (claimIdleMs !== undefined)
      pipeline.xautoclaim(stream, group, consumer, claimIdleMs, '0-0', 'COUNT', options.count);
    pipeline.xreadgroup('GROUP', group, consumer, 'COUNT', options.count, 'STREAMS', stream, '>');
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    type Claimed = [cursor: string, entries: ([string, string[]] | null)[]];
    const claimed = claimIdleMs === undefined ? undefined : (replies[0]?.[1] as Claimed);
    const fresh = replies.at(-1)?.[1] as [string, [string, string[]][]][] | null;
    const abandoned = (claimed?.[1] ?? []).filter((entry) => Array.isArray(entry?.[1]));
    const entries = [...abandoned, ...(fresh?.[0]?.[1] ?? [])];
    return entries.flatMap((entry) => (entry ? [toPingEntry(entry[0], entry[1])] : []));
  }

  async ackPings(group: string, entryIds: readonly string[]): Promise<void> {
    if (entryIds.length > 0) await this.ctx.redis.xack(this.ctx.keys.heartbeatPings, group, ...entryIds);
  }
}

function toPingEntry(entryId: string, list: string[]): PingEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] ?? ''] = list[i + 1] ?? '';
  const exit = fields.exit ?? '';
  return {
    entryId,
    checkId: fields.check ?? '',
    at: Number(fields.at),
    kind: (fields.kind ?? 'success') as PingKind,
    ...(exit !== '' && { exitCode: Number(exit) }),
  };
}

/** The state without the token's hash: nothing outside the store needs it. */
function publicState(stored: HeartbeatState & { token?: string }): HeartbeatState {
  const { token: _token, ...state } = stored;
  return state;
}
