import { randomUUID } from 'node:crypto';
import { type Clock, defineScripts, type Incident, type Redis, type RedisKeys } from '@vigil/core';

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface AttemptCommands {
  vigilBeginPageAttempt(
    attempt: string,
    sent: string,
    job: string,
    attemptId: string,
    now: number,
    ttlMs: number,
    giveUpAt: number,
  ): Promise<[string, number, string?]>;
  vigilFinishPageAttempt(
    attempt: string,
    sent: string,
    paged: string,
    incident: string,
    attemptId: string,
    outcome: 'sent' | 'failed',
    now: number,
    ttlMs: number,
    pagedField: string,
    pagedValue: string,
  ): Promise<string | null>;
}

/** A page's record is kept as long as its job. */
export const ATTEMPT_TTL_MS = 30 * 86_400_000;
/** The second attempt found in doubt gives up: at most one duplicate per page, never a third send. */
export const GIVE_UP_IN_DOUBT = 2;

/** What `begin` decided: send (clean or in doubt, with the attempt to close), or do not. */
export type AttemptStart =
  | { verdict: 'first'; attemptId: string }
  | { verdict: 'in-doubt'; attemptId: string; inDoubt: number }
  | { verdict: 'give-up'; inDoubt: number }
  | { verdict: 'sent' }
  | { verdict: 'owned'; owner: string };

/** What Redis holds about a page's attempts, for logs and tests. */
export interface PageAttemptRecord {
  job?: string;
  attempts: number;
  inDoubt: number;
  open: boolean;
  sentAt?: number;
  gaveUpAt?: number;
}

/** An attempt begun, to be closed as sent or failed. */
export interface OpenAttempt {
  key: string;
  attemptId: string;
  incidentId: string;
}

/** A sent trigger records its destination as paged, so the incident's resolve reaches it. */
export interface PagedEntry {
  field: string;
  value: string;
}

/**
 * Page attempts, recorded in Redis before each send: the sent marker alone (written after the send
 * returns) cannot tell a page never tried from one whose sender stopped between the provider accepting
 * it and the reply. With the attempt recorded first, a job taken over from a silent notifier knows its
 * page is in doubt, resends it once with the same idempotency key, and gives up on a second doubt.
 */
export class PageAttempts {
  private readonly redis: Redis & AttemptCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; clock: Clock }) {
    this.redis = defineScripts<AttemptCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Opens an attempt at the page `key` for `job` (whose id is usually the key itself). */
  async begin(key: string, job: string): Promise<AttemptStart> {
    const { keys, clock } = this.ctx;
    const attemptId = randomUUID();
    const [verdict, inDoubt, owner] = await this.redis.vigilBeginPageAttempt(
      keys.pageAttempt(key),
      keys.pageSent(key),
      job,
      attemptId,
      clock.now(),
      ATTEMPT_TTL_MS,
      GIVE_UP_IN_DOUBT,
    );
    switch (verdict) {
      case 'first':
        return { verdict, attemptId };
      case 'in-doubt':
        return { verdict, attemptId, inDoubt: Number(inDoubt) };
      case 'give-up':
        return { verdict, inDoubt: Number(inDoubt) };
      case 'owned':
        return { verdict, owner: owner ?? '' };
      default:
        return { verdict: 'sent' };
    }
  }

  /** Marks the page sent (and, for a trigger, its destination paged); returns the incident's status now. */
  sent(attempt: OpenAttempt, paged?: PagedEntry): Promise<Incident['status'] | undefined> {
    return this.finish(attempt, 'sent', paged);
  }

  /** Closes an attempt that failed knowingly: not in doubt, retried as usual. */
  async failed(attempt: OpenAttempt): Promise<void> {
    await this.finish(attempt, 'failed');
  }

  async read(key: string): Promise<PageAttemptRecord> {
    const hash = await this.ctx.redis.hgetall(this.ctx.keys.pageAttempt(key));
    const optional = (text: string | undefined) => (text === undefined ? undefined : Number(text));
    return {
      ...(hash.job !== undefined && { job: hash.job }),
      attempts: Number(hash.attempts ?? 0),
      inDoubt: Number(hash.inDoubt ?? 0),
      open: hash.open !== undefined,
      ...(hash.sentAt !== undefined && { sentAt: optional(hash.sentAt) }),
      ...(hash.gaveUpAt !== undefined && { gaveUpAt: optional(hash.gaveUpAt) }),
    };
  }

  private async finish(
    { key, attemptId, incidentId }: OpenAttempt,
    outcome: 'sent' | 'failed',
    paged?: PagedEntry,
  ): Promise<Incident['status'] | undefined> {
    const { keys, clock } = this.ctx;
    const status = await this.redis.vigilFinishPageAttempt(
      keys.pageAttempt(key),
      keys.pageSent(key),
      keys.incidentPaged(incidentId),
      keys.incident(incidentId),
      attemptId,
      outcome,
      clock.now(),
      ATTEMPT_TTL_MS,
      paged?.field ?? '',
      paged?.value ?? '',
    );
    return (status ?? undefined) as Incident['status'] | undefined;
  }
}
