import { createAckToken, DELIVERIES_QUEUE, type Incident, type IncidentStore } from '@vigil/core';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { JobQueue } from '../job-queue.js';
import type { NotifierContext } from '../notifier-context.js';
import { countPage } from '../notifier-metrics.js';
import { type ChannelTarget, type Page, type PageAction, PermanentDeliveryError } from './channels/channel.js';
import { type Destination, destinationKey, resolveDestination } from './destinations.js';

export interface DeliveryJob {
  incidentId: string;
  episode: number;
  cycle: number;
  level: number;
  action: PageAction;
  destination: Destination;
}

export type DeliveryOutcome = 'sent' | 'duplicate' | 'stale' | 'capped' | 'unreachable';

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

const SENT_TTL_S = 30 * 86_400;

/** The identity of one page: a job with this id is added once, and a sent marker stops a second send. */
export function dedupKey(job: DeliveryJob): string {
  const contact =
    job.destination.type === 'person' && job.destination.contact > 0 ? `-c${job.destination.contact}` : '';
  const step = job.action === 'trigger' ? `${job.cycle}-${job.level}` : job.action;
  return `${job.incidentId}-${job.episode}-${step}-${destinationKey(job.destination)}${contact}`;
}

/**
 * The delivery queue: at least once (BullMQ retries with exponential backoff), never twice (the job
 * id is the dedup key and a sent marker is checked before sending). A person's contact that keeps
 * failing falls back to their next one; a cap per person per window stops runaway paging.
 */
export class Deliveries {
  private readonly jobs: JobQueue<DeliveryJob, DeliveryOutcome>;
  private readonly incidents: IncidentStore;

  constructor(
    private readonly ctx: DeliveryContext,
    tuning: { concurrency?: number } = {},
  ) {
    this.incidents = ctx.incidents;
    this.jobs = new JobQueue(ctx, {
      name: DELIVERIES_QUEUE,
      concurrency: tuning.concurrency ?? 8,
      process: (job) => this.process(job),
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
      backoff: { type: 'exponential', delay: backoff },
      removeOnComplete: { age: SENT_TTL_S },
      removeOnFail: { age: SENT_TTL_S },
    });
  }

  private async process(job: Job<DeliveryJob, DeliveryOutcome>): Promise<DeliveryOutcome> {
    const { redis, keys, log } = this.ctx;
    const data = job.data;
    const key = dedupKey(data);
    if (await redis.exists(keys.pageSent(key))) return 'duplicate';
    const incident = await this.incidents.get(data.incidentId);
    if (!incident || incident.episode !== data.episode) return 'stale';
    if (data.action === 'trigger' && (incident.status === 'resolved' || incident.acknowledgedAt !== undefined)) {
      return 'stale';
    }
    const resolved = resolveDestination(this.ctx.config, data.destination);
    if (!resolved) {
      log.warn({ incident: data.incidentId, destination: destinationKey(data.destination) }, 'page has nowhere to go');
      return 'unreachable';
    }
    if (data.action === 'trigger' && job.attemptsMade === 0 && (await this.overCap(data.destination))) return 'capped';
    const page = this.page(data, incident, key, resolved.recipient);
    try {
      await this.send(page, resolved.target);
    } catch (err) {
      countPage(resolved.target.kind, 'failed');
      if (err instanceof PermanentDeliveryError) throw new UnrecoverableError(err.message);
      throw err;
    }
    const pipeline = redis.pipeline().set(keys.pageSent(key), String(this.ctx.clock.now()), 'EX', SENT_TTL_S);
    if (data.action === 'trigger') {
      pipeline.hset(
        keys.incidentPaged(data.incidentId),
        destinationKey(data.destination),
        JSON.stringify(data.destination),
      );
    }
    await pipeline.exec();
    countPage(resolved.target.kind, 'sent');
    log.info(
      {
        incident: data.incidentId,
        action: data.action,
        to: destinationKey(data.destination),
        channel: resolved.target.kind,
      },
      'page sent',
    );
    return 'sent';
  }

  private send(page: Page, target: ChannelTarget): Promise<void> {
    const channels = this.ctx.channels;
    switch (target.kind) {
      case 'email':
        return channels.email.send(page, target);
      case 'webhook':
        return channels.webhook.send(page, target);
      case 'slack':
        return channels.slack.send(page, target);
      case 'pagerduty':
        return channels.pagerduty.send(page, target);
    }
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
