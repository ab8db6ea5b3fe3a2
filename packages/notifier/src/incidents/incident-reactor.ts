import { IncidentStore, type Logger, type Redis, type RedisKeys } from '@vigil/core';
import type { Deliveries } from '../paging/delivery.js';
import type { Destination } from '../paging/destinations.js';
import type { Escalations } from '../paging/escalation.js';
import { StreamGroup } from '../stream-group.js';

export interface IncidentReactorOptions {
  redis: Redis;
  /** A connection of its own: the reactor blocks on it reading the stream. */
  reader: Redis;
  keys: RedisKeys;
  log: Logger;
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

  constructor(private readonly options: IncidentReactorOptions) {
    this.incidents = new IncidentStore(options);
    this.events = new StreamGroup({
      ...options,
      group: GROUP,
      streams: [{ key: options.keys.incidentEvents, from: '0' }],
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

  private async handle(event: Record<string, string>): Promise<void> {
    const id = event.id;
    const acts = ['opened', 'reopened', 'acknowledged', 'resolved'];
    if (!id || !acts.includes(event.type ?? '')) return;
    const incident = await this.incidents.get(id);
    if (!incident) return;
    if (event.type === 'opened' || event.type === 'reopened') {
      await this.options.escalations.begin(incident);
    } else if (event.type === 'acknowledged' || event.type === 'resolved') {
      const action = event.type === 'acknowledged' ? 'acknowledge' : 'resolve';
      const paged = await this.options.redis.hvals(this.options.keys.incidentPaged(id));
      for (const json of paged) {
        const destination = JSON.parse(json) as Destination;
        // A person's inbox gets the resolve; acknowledgements go to the machines (PagerDuty, Slack, hooks).
        if (action === 'acknowledge' && destination.type === 'person') continue;
        await this.options.deliveries.enqueue({
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
