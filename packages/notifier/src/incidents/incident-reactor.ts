import type { IncidentStore } from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import { acknowledgesPeople } from '../paging/channels/registry.js';
import type { Deliveries } from '../paging/delivery.js';
import { type Destination, resolveDestination } from '../paging/destinations.js';
import type { Escalations } from '../paging/escalation.js';
import { StreamGroup } from '../stream-group.js';

/** The reactor blocks reading the stream on `blocking.incidentEvents`. */
type IncidentReactorContext = Pick<NotifierContext, 'redis' | 'keys' | 'log' | 'blocking' | 'incidents' | 'config'>;

export interface IncidentReactorParts {
  escalations: Escalations;
  deliveries: Deliveries;
  /** Entries another consumer took but did not acknowledge for this long are taken over. */
  claimIdleMs?: number;
}

const GROUP = 'notifier';

/**
 * Reads the incident event stream (written by the same Lua that changes incidents, wherever that
 * ran: notifier, web, CLI) in a consumer group, so each event is handled by one notifier and an
 * event a crashed notifier held is taken over. Opened → escalate; acknowledged → tell the machines
 * that were paged; resolved → send a resolve to every destination paged.
 */
export class IncidentReactor {
  private readonly incidents: IncidentStore;
  private readonly events: StreamGroup;

  constructor(
    private readonly ctx: IncidentReactorContext,
    private readonly parts: IncidentReactorParts,
  ) {
    this.incidents = ctx.incidents;
    this.events = new StreamGroup(ctx, {
      reader: ctx.blocking.incidentEvents,
      ...(parts.claimIdleMs !== undefined && { claimIdleMs: parts.claimIdleMs }),
      group: GROUP,
      streams: [{ key: ctx.keys.incidentEvents, from: '0' }],
      name: 'incident reactor',
      handle: (_stream, _entryId, event) => this.handle(event),
    });
  }

  start(): Promise<void> {
    return this.events.start();
  }

  close(): Promise<void> {
    return this.events.close();
  }

  /** Whether a person's contact wants the acknowledge page (`acknowledgesPeople` in its channel module). */
  private toldOfAck(destination: Destination): boolean {
    const resolved = resolveDestination(this.ctx.config, destination);
    return resolved !== undefined && acknowledgesPeople(resolved.target);
  }

  private async handle(event: Record<string, string>): Promise<void> {
    const id = event.id;
    const acts = ['opened', 'reopened', 'acknowledged', 'resolved'];
    if (!id || !acts.includes(event.type ?? '')) return;
    const incident = await this.incidents.get(id);
    if (!incident) return;
    if (event.type === 'opened' || event.type === 'reopened') {
      await this.parts.escalations.begin(incident);
    } else if (event.type === 'acknowledged' || event.type === 'resolved') {
      const action = event.type === 'acknowledged' ? 'acknowledge' : 'resolve';
      const paged = await this.ctx.redis.hvals(this.ctx.keys.incidentPaged(id));
      for (const json of paged) {
        const destination = JSON.parse(json) as Destination;
        // A person's inbox gets the resolve; acknowledgements go to the machines (PagerDuty, Slack, hooks)
        // and to a person's contact that keeps alerting until told (Pushover's emergency re-alerts).
        if (action === 'acknowledge' && destination.type === 'person' && !this.toldOfAck(destination)) continue;
        await this.parts.deliveries.enqueue({
          incidentId: id,
          episode: incident.episode,
          cycle: 0,
          level: 0,
          action,
          destination,
        });
      }
    }
  }
}
