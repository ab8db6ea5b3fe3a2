import { ESCALATIONS_QUEUE, type Incident, type IncidentStore } from '@vigil/core';
import type { Job } from 'bullmq';
import { JobQueue } from '../job-queue.js';
import type { NotifierContext } from '../notifier-context.js';
import type { Deliveries } from './delivery.js';
import { levelDestinations } from './destinations.js';

export interface EscalationStep {
  incidentId: string;
  episode: number;
  cycle: number;
  level: number;
}

export type StepOutcome = 'paged' | 'stopped' | 'no-policy';

type EscalationContext = Pick<
  NotifierContext,
  'connection' | 'keys' | 'log' | 'clock' | 'config' | 'settings' | 'incidents'
>;

const KEEP_S = 7 * 86_400;

/** Job ids are the step itself: adding a step twice (two notifiers, a restart) keeps one. */
function stepId(step: EscalationStep): string {
  return `${step.incidentId}-${step.episode}-${step.cycle}-${step.level}`;
}

/**
 * Escalation policies run as BullMQ delayed jobs, one per step, so a restart loses no timer. Each
 * step pages its level and schedules the next one; a step finding the incident acknowledged,
 * resolved or reopened since does nothing, which is how acknowledgement stops escalation.
 */
export class Escalations {
  private readonly jobs: JobQueue<EscalationStep, StepOutcome>;
  private readonly incidents: IncidentStore;

  constructor(
    private readonly ctx: EscalationContext,
    private readonly parts: { deliveries: Deliveries },
  ) {
    this.incidents = ctx.incidents;
    this.jobs = new JobQueue(ctx, {
      name: ESCALATIONS_QUEUE,
      concurrency: 8,
      process: (job) => this.process(job),
    });
    this.jobs.worker.on('failed', (job, err) =>
      ctx.log.warn({ err: err.message, step: job && stepId(job.data) }, 'escalation step failed'),
    );
  }

  start(): Promise<void> {
    return this.jobs.start();
  }

  close(): Promise<void> {
    return this.jobs.close();
  }

  /** Starts paging an incident: its first level after the grouping window (and the level's own delay). */
  async begin(incident: Incident): Promise<void> {
    const policy = this.policy(incident);
    if (!policy || incident.acknowledgedAt !== undefined) return;
    const delay = this.ctx.settings.groupingWindow + (policy.levels[0]?.after ?? 0);
    await this.schedule({ incidentId: incident.id, episode: incident.episode, cycle: 0, level: 0 }, delay);
  }

  private policy(incident: Pick<Incident, 'escalation'>) {
    return this.ctx.config.escalations.find((p) => p.id === incident.escalation);
  }

  private async schedule(step: EscalationStep, delay: number): Promise<void> {
    await this.jobs.queue.add('step', step, {
      jobId: stepId(step),
      delay,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: KEEP_S },
      removeOnFail: { age: KEEP_S },
    });
  }

  private async process(job: Job<EscalationStep, StepOutcome>): Promise<StepOutcome> {
    const step = job.data;
    const { log, clock, config } = this.ctx;
    const { deliveries } = this.parts;
    const incident = await this.incidents.get(step.incidentId);
    if (!incident || incident.status === 'resolved' || incident.acknowledgedAt !== undefined) return 'stopped';
    if (incident.episode !== step.episode) return 'stopped';
    const policy = this.policy(incident);
    const level = policy?.levels[step.level];
    if (!policy || !level) return 'no-policy';
    const { destinations, unstaffed } = levelDestinations(config, level.notify, clock.now());
    if (unstaffed.length > 0) log.warn({ incident: incident.id, schedules: unstaffed }, 'nobody on call in a schedule');
    for (const destination of destinations) {
      await deliveries.enqueue({ ...step, action: 'trigger', destination });
    }
    const next = policy.levels[step.level + 1];
    if (next) await this.schedule({ ...step, level: step.level + 1 }, next.after);
    else if (step.cycle < policy.repeat) {
      await this.schedule(
        { ...step, cycle: step.cycle + 1, level: 0 },
        policy.repeatAfter + (policy.levels[0]?.after ?? 0),
      );
    }
    log.info(
      { incident: incident.id, level: step.level, cycle: step.cycle, pages: destinations.length },
      'escalation level paged',
    );
    return 'paged';
  }
}
