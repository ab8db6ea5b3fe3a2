import { createAckToken, DELIVERIES_QUEUE, type Incident, type IncidentStore } from '@vigil/core';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { JobQueue } from '../job-queue.js';
import type { NotifierContext } from '../notifier-context.js';
import { countPage } from '../notifier-metrics.js';
import {
  type ChannelTarget,
  type Page,
  type PageAction,
  PermanentDeliveryError,
  RetryLaterError,
} from './channels/channel.js';
import { sendPage } from './channels/registry.js';
import { type Destination, destinationKey, resolveDestination } from './destinations.js';
import { type AttemptStart, type OpenAttempt, PageAttempts } from './page-attempts.js';

export interface DeliveryJob {
  incidentId: string;
  episode: number;
  cycle: number;
  level: number;
  action: PageAction;
  destination: Destination;
}

/**
 * `resent`: the previous attempt was in doubt (its sender went silent mid-send) and was sent again with
 * the same idempotency key; `in-doubt`: a second attempt in doubt, given up; `late`: the incident resolved
 * before the page could be delivered, so one late message went instead; `merged`: another job of the
 * same incident sends that late message.
 */
export type DeliveryOutcome =
  | 'sent'
  | 'resent'
  | 'duplicate'
  | 'stale'
  | 'capped'
  | 'unreachable'
  | 'in-doubt'
  | 'late'
  | 'merged';

/** `publicUrl` is the base of the ack, incident and status page links in pages. */
type DeliveryContext = Pick<
  NotifierContext,
  | 'redis'
  | 'connection'
  | 'keys'
  | 'log'
  | 'clock'
  | 'config'
  | 'settings'
  | 'channels'
  | 'secret'
  | 'publicUrl'
  | 'incidents'
>;

type ResolvedDestination = NonNullable<ReturnType<typeof resolveDestination>>;

const SENT_TTL_S = 30 * 86_400;
/** The longest a provider's `Retry-After` may hold a page back. */
const RETRY_AFTER_MAX_MS = 15 * 60_000;

/** Exponential backoff, stretched to the provider's `Retry-After` when it gave one. */
export function retryDelay(attemptsMade: number, baseMs: number, err?: Error): number {
  const exponential = 2 ** Math.max(0, attemptsMade - 1) * baseMs;
  const asked = err instanceof RetryLaterError ? Math.min(err.retryAfterMs, RETRY_AFTER_MAX_MS) : 0;
  return Math.max(exponential, asked);
}

function attemptIdOf(start: AttemptStart): string {
  return 'attemptId' in start ? start.attemptId : '';
}

/** The identity of one page: a job with this id is added once, and a sent marker stops a second send. */
export function dedupKey(job: DeliveryJob): string {
  const step = job.action === 'trigger' ? `${job.cycle}-${job.level}` : job.action;
  return `${job.incidentId}-${job.episode}-${step}-${destinationKey(job.destination)}${contactSuffix(job)}`;
}

/**
 * The identity of the one late message a destination gets for an episode, whichever levels and cycles
 * failed to reach it (a person's fallback contact is a destination of its own).
 */
export function lateKey(job: DeliveryJob): string {
  return `${job.incidentId}-${job.episode}-late-${destinationKey(job.destination)}${contactSuffix(job)}`;
}

function contactSuffix(job: DeliveryJob): string {
  return job.destination.type === 'person' && job.destination.contact > 0 ? `-c${job.destination.contact}` : '';
}

/**
 * The delivery queue: at least once (BullMQ retries with exponential backoff; the job id is the dedup
 * key). Each attempt is recorded before the send and closed after it, so a job taken over from a
 * notifier that went silent mid-send (after `delivery.takeoverAfter`) knows the page is in doubt: it
 * resends once with the same idempotency key, and gives up on a second doubt. A duplicate is possible
 * only there, in the window nobody can know about (the provider accepted, the sender was gone before
 * the reply). A person's contact that keeps failing falls back to their next one; a cap per person per
 * window stops runaway paging.
 */
export class Deliveries {
  private readonly jobs: JobQueue<DeliveryJob, DeliveryOutcome>;
  private readonly incidents: IncidentStore;
  private readonly attempts: PageAttempts;

  constructor(
    private readonly ctx: DeliveryContext,
    tuning: { concurrency?: number } = {},
  ) {
    this.incidents = ctx.incidents;
    this.attempts = new PageAttempts(ctx);
    const { takeoverAfter } = ctx.settings.delivery;
    this.jobs = new JobQueue(ctx, {
      name: DELIVERIES_QUEUE,
      concurrency: tuning.concurrency ?? 8,
      process: (job) => this.process(job),
      // The lock lapses `takeoverAfter` after its worker went silent; the next stall check hands the job
      // on. Two takeovers reach the processor (which gives up on the second doubt); a third fails the job.
      takeover: {
        lockDuration: takeoverAfter,
        stalledInterval: Math.max(500, Math.floor(takeoverAfter / 2)),
        maxStalledCount: 3,
      },
      backoffStrategy: (attemptsMade, _type, err) => retryDelay(attemptsMade, ctx.settings.delivery.backoff, err),
    });
    this.jobs.worker.on('failed', (job, err) => void this.onFailed(job, err));
  }

  get queue(): Queue<DeliveryJob, DeliveryOutcome> {
    return this.jobs.queue;
  }

  start(): Promise<void> {
    return this.jobs.start();
  }

  close(): Promise<void> {
    return this.jobs.close();
  }

  /** Queues a page; a second add with the same dedup key is a no-op. */
  async enqueue(job: DeliveryJob): Promise<void> {
    const { attempts, backoff } = this.ctx.settings.delivery;
    await this.queue.add(job.action, job, {
      jobId: dedupKey(job),
      attempts,
      backoff: { type: 'retry-after', delay: backoff },
      removeOnComplete: { age: SENT_TTL_S },
      removeOnFail: { age: SENT_TTL_S },
    });
  }

  private async process(job: Job<DeliveryJob, DeliveryOutcome>): Promise<DeliveryOutcome> {
    const data = job.data;
    const key = dedupKey(data);
    const incident = await this.incidents.get(data.incidentId);
    if (!incident || incident.episode !== data.episode) return 'stale';
    if (data.action === 'trigger' && incident.acknowledgedAt !== undefined) return 'stale';
    const resolved = resolveDestination(this.ctx.config, data.destination);
    if (!resolved) {
      this.ctx.log.warn(
        { incident: data.incidentId, destination: destinationKey(data.destination) },
        'page has nowhere to go',
      );
      return 'unreachable';
    }
    if (data.action === 'trigger' && incident.status === 'resolved') return this.late(job, incident, resolved);
    const start = await this.attempts.begin(key, job.id ?? key);
    const skipped = this.skip(data, key, start);
    if (skipped) return skipped;
    const open: OpenAttempt = { key, attemptId: attemptIdOf(start), incidentId: data.incidentId };
    if (data.action === 'trigger' && start.verdict === 'first' && job.attemptsMade === 0) {
      if (await this.overCap(data.destination)) {
        await this.attempts.failed(open);
        return 'capped';
      }
    }
    await this.sendOrClose(this.page(data, incident, key, resolved.recipient), resolved.target, open);
    const paged =
      data.action === 'trigger'
        ? { field: destinationKey(data.destination), value: JSON.stringify(data.destination) }
        : undefined;
    const status = await this.attempts.sent(open, paged);
    // Sent while the incident was resolving: the resolve may have missed this destination; it is owed.
    if (data.action === 'trigger' && status === 'resolved') await this.enqueue({ ...data, action: 'resolve' });
    this.logSent(data, resolved, key);
    return start.verdict === 'in-doubt' ? 'resent' : 'sent';
  }

  /**
   * The incident resolved before this trigger could be delivered: unless the destination was paged
   * (then it gets the resolve), it gets one message saying so instead of a stale page and no resolve.
   */
  private async late(
    job: Job<DeliveryJob, DeliveryOutcome>,
    incident: Incident,
    resolved: ResolvedDestination,
  ): Promise<DeliveryOutcome> {
    const { redis, keys } = this.ctx;
    const data = job.data;
    if (await redis.exists(keys.pageSent(dedupKey(data)))) return 'duplicate';
    if (await redis.hexists(keys.incidentPaged(data.incidentId), destinationKey(data.destination))) return 'stale';
    const key = lateKey(data);
    const start = await this.attempts.begin(key, job.id ?? dedupKey(data));
    const skipped = this.skip(data, key, start);
    if (skipped) return skipped;
    const open: OpenAttempt = { key, attemptId: attemptIdOf(start), incidentId: data.incidentId };
    const page: Page = { ...this.page({ ...data, action: 'resolve' }, incident, key, resolved.recipient), late: true };
    await this.sendOrClose(page, resolved.target, open);
    await this.attempts.sent(open);
    this.logSent({ ...data, action: 'resolve' }, resolved, key, true);
    return 'late';
  }

  /** What an attempt that must not send returns: already sent, another job's, or given up in doubt. */
  private skip(data: DeliveryJob, key: string, start: AttemptStart): DeliveryOutcome | undefined {
    const { log } = this.ctx;
    const fields = { incident: data.incidentId, to: destinationKey(data.destination), dedupKey: key };
    switch (start.verdict) {
      case 'sent':
        return 'duplicate';
      case 'owned':
        return 'merged';
      case 'give-up':
        log.error(
          { ...fields, inDoubt: start.inDoubt },
          'page in doubt twice (its senders went silent mid-send): given up, not sent again',
        );
        return 'in-doubt';
      case 'in-doubt':
        log.warn(fields, 'page in doubt (its sender went silent mid-send): resending once with the same key');
        return undefined;
      case 'first':
        return undefined;
    }
  }

  /** Sends; a failure the sender saw closes the attempt (not in doubt) and goes to BullMQ's retries. */
  private async sendOrClose(page: Page, target: ChannelTarget, open: OpenAttempt): Promise<void> {
    try {
      await sendPage(this.ctx.channels, page, target);
    } catch (err) {
      countPage(target.kind, 'failed');
      await this.attempts.failed(open);
      if (err instanceof PermanentDeliveryError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  private logSent(data: DeliveryJob, resolved: ResolvedDestination, key: string, late = false): void {
    countPage(resolved.target.kind, 'sent');
    this.ctx.log.info(
      {
        incident: data.incidentId,
        action: data.action,
        to: destinationKey(data.destination),
        channel: resolved.target.kind,
        dedupKey: key,
        ...(late && { late }),
      },
      late ? 'late page sent: the incident resolved before its page could be delivered' : 'page sent',
    );
  }

  private page(data: DeliveryJob, incident: Incident, key: string, recipient?: { id: string; name: string }): Page {
    const { publicUrl, secret, clock, settings, config } = this.ctx;
    const now = clock.now();
    const by = recipient?.name ?? destinationKey(data.destination);
    const ack =
      data.action === 'trigger'
        ? `${publicUrl}/ack/${createAckToken(secret, { incidentId: incident.id, episode: incident.episode, by, ttlMs: settings.ackLinkTtl, now })}`
        : undefined;
    const componentName = config.components.find((c) => c.id === incident.component)?.name;
    return {
      action: data.action,
      dedupKey: key,
      incident,
      ...(componentName && { componentName }),
      level: data.level,
      cycle: data.cycle,
      ...(recipient && { recipient }),
      links: { ...(ack && { ack }), incident: `${publicUrl}/incidents/${incident.id}`, statusPage: `${publicUrl}/` },
      at: now,
    };
  }

  /** Counts a page against its person's cap; true when over (the page is dropped and logged). */
  private async overCap(destination: Destination): Promise<boolean> {
    if (destination.type !== 'person') return false;
    const { max, per } = this.ctx.settings.personCap;
    const window = Math.floor(this.ctx.clock.now() / per);
    const key = this.ctx.keys.pageCap(destination.personId, window);
    const [[, count] = [null, 0]] =
      (await this.ctx.redis
        .multi()
        .incr(key)
        .pexpire(key, per * 2)
        .exec()) ?? [];
    if (Number(count) <= max) return false;
    this.ctx.log.warn({ person: destination.personId, max, perMs: per }, 'page cap reached: page dropped');
    return true;
  }

  /** After the last attempt: try the person's next contact, if they have one. */
  private async onFailed(job: Job<DeliveryJob> | undefined, err: Error): Promise<void> {
    if (!job) return;
    const { log } = this.ctx;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.warn(
      {
        incident: job.data.incidentId,
        to: destinationKey(job.data.destination),
        attempt: job.attemptsMade,
        final,
        err: err.message,
      },
      'page delivery failed',
    );
    const destination = job.data.destination;
    if (!final || destination.type !== 'person') return;
    const next: DeliveryJob = { ...job.data, destination: { ...destination, contact: destination.contact + 1 } };
    if (resolveDestination(this.ctx.config, next.destination)) {
      await this.enqueue(next).catch((e: unknown) => log.error({ err: e }, 'could not queue the fallback page'));
    }
  }
}
