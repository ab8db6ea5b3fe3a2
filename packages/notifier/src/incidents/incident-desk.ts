import {
  type Check,
  type Clock,
  type IncidentMember,
  IncidentStore,
  isUnderMaintenance,
  type Logger,
  type MaintenanceSource,
  type ProbeErrorClass,
  type Redis,
  type RedisKeys,
  type VigilConfig,
} from '@vigil/core';
import type { CheckCatalog } from '../evaluation/check-catalog.js';
import { CheckStates, type Transition } from '../evaluation/check-state.js';

export interface IncidentDeskOptions {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
  clock: Clock;
  config: Pick<VigilConfig, 'components' | 'escalations' | 'notifier'>;
  /** vigil.yaml's maintenances and the API's; a window deleted through the API frees held alerts at the next drain. */
  maintenances: MaintenanceSource;
  catalog: CheckCatalog;
}

/**
 * Turns alerting transitions into incidents: a check going down opens its group's incident (its
 * component's, or its own), joins the open one, or reopens one resolved moments ago; recovering
 * takes it out, and the last one out resolves it with downtime bounds. Checks under maintenance
 * stay in the outbox until the window ends or is deleted.
 */
export class IncidentDesk {
  readonly incidents: IncidentStore;
  private readonly states: CheckStates;

  constructor(private readonly options: IncidentDeskOptions) {
    this.incidents = new IncidentStore(options);
    this.states = new CheckStates(options);
  }

  /** Acts on one transition; leaves it in the outbox when it must wait (maintenance). */
  async apply(transition: Transition): Promise<void> {
    const check = await this.options.catalog.fetch(transition.checkId);
    if (!check) {
      await this.states.settle(transition);
      return;
    }
    if (transition.kind === 'alert') {
      const now = this.options.clock.now();
      const maintenance = isUnderMaintenance(await this.options.maintenances.current(), check, now);
      if (maintenance) {
        this.options.log.info({ check: check.id, maintenance: maintenance.id }, 'down during maintenance: no incident');
        return;
      }
      await this.open(check, transition, now);
    } else {
      await this.recover(check, transition);
    }
    await this.states.settle(transition);
  }

  /** Retries outbox entries left behind (maintenance over, or a notifier that died mid-way). */
  async drain(olderThanMs = 2_000): Promise<void> {
    const now = this.options.clock.now();
    for (const transition of await this.states.pendingTransitions()) {
      if (now - transition.at >= olderThanMs) await this.apply(transition);
    }
  }

  private group(check: Check): string {
    return check.component ? `component:${check.component}` : `check:${check.id}`;
  }

  private async open(check: Check, transition: Transition, now: number): Promise<void> {
    const { detail } = transition;
    const down = transition.to === 'down';
    const failing = `${detail.failing.length} of ${detail.counted} vantages${detail.error ? `: ${detail.error}` : ''}`;
    const member: IncidentMember = {
      checkId: check.id,
      name: check.name,
      down: true,
      firstFailedRound: transition.firstFailedRound ?? transition.round,
      lastFailedRound: transition.lastFailedRound ?? transition.round,
      ...(transition.lastGoodBefore !== undefined && { lastGoodBefore: transition.lastGoodBefore }),
      vantagesFailing: detail.failing,
      vantagesTotal: detail.counted,
      ...(detail.error && { error: detail.error as ProbeErrorClass }),
      ...(detail.message && { message: detail.message }),
    };
    const component = this.options.config.components.find((c) => c.id === check.component);
    const escalation = check.escalation ?? this.defaultEscalation();
    const outcome = await this.incidents.openOrJoin(
      {
        group: this.group(check),
        title: component ? `${component.name}: ${down ? 'outage' : 'degraded'}` : `${check.name} is ${transition.to}`,
        impact: down ? 'major' : 'minor',
        severity: check.severity,
        ...(check.component && { component: check.component }),
        ...(escalation && { escalation }),
        startedAt: member.firstFailedRound,
        member,
        openedMessage: `${check.name} is ${down ? 'failing' : 'degraded'} from ${failing}.`,
        joinedMessage: '',
      },
      now,
      this.options.config.notifier.reopenWindow,
    );
    this.options.log.info({ check: check.id, incident: outcome.id, verb: outcome.verb }, `incident ${outcome.verb}`);
  }

  private async recover(check: Check, transition: Transition): Promise<void> {
    const id = await this.options.redis.get(this.options.keys.incidentGroup(this.group(check)));
    if (!id) return;
    const outcome = await this.incidents.memberRecovered(
      id,
      {
        checkId: check.id,
        firstGoodAfter: transition.firstGoodAfter ?? transition.round,
        lastFailedRound: transition.lastFailedRound ?? transition.round,
        partialMessage: 'Partial recovery; checks still failing: %d.',
        resolvedMessage: 'Resolved: every check is up again.',
      },
      this.options.clock.now(),
    );
    if (outcome.verb !== 'unchanged') {
      this.options.log.info({ check: check.id, incident: id, ...outcome }, `incident ${outcome.verb}`);
    }
  }

  private defaultEscalation(): string | undefined {
    return this.options.config.escalations.some((policy) => policy.id === 'default') ? 'default' : undefined;
  }
}
