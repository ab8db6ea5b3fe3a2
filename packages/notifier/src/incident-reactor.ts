import { hostname } from 'node:os';
import { IncidentStore, type Logger, type Redis, type RedisKeys } from '@vigil/core';
import type { Deliveries } from './delivery.js';
import type { Destination } from './destinations.js';
import type { Escalations } from './escalation.js';

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
type StreamEntry = [id: string, fields: string[]];

/**
 * Reads the incident event stream (written by the same Lua that changes incidents, wherever that
 * ran: notifier, web, CLI) in a consumer group, so each event is handled by one notifier and an
 * event a crashed notifier held is taken over. Opened → escalate; acknowledged → tell the machines
 * that were paged; resolved → send a resolve to every destination paged.
 */
export class IncidentReactor {
  private readonly consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly incidents: IncidentStore;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: IncidentReactorOptions) {
    this.incidents = new IncidentStore(options);
  }

  async start(): Promise<void> {
    await this.options.redis
      .xgroup('CREATE', this.options.keys.incidentEvents, GROUP, '0', 'MKSTREAM')
      .catch((err: Error) => {
        if (!err.message.includes('BUSYGROUP')) throw err;
      });
    this.running = this.loop();
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.options.reader.disconnect();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { reader, keys, log } = this.options;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim > 5_000) {
          lastClaim = Date.now();
          await this.takeOverAbandoned();
        }
        const reply = (await reader.xreadgroup(
          'GROUP',
          GROUP,
          this.consumer,
          'COUNT',
          50,
          'BLOCK',
          1_000,
          'STREAMS',
          keys.incidentEvents,
          '>',
        )) as [string, StreamEntry[]][] | null;
        for (const [, entries] of reply ?? []) await this.handleAll(entries);
      } catch (err) {
        if (this.stopping) break;
        log.warn({ err: (err as Error).message }, 'incident event stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async takeOverAbandoned(): Promise<void> {
    const { redis, keys } = this.options;
    const [, entries] = (await redis.xautoclaim(
      keys.incidentEvents,
      GROUP,
      this.consumer,
      this.options.claimIdleMs ?? 30_000,
      '0-0',
      'COUNT',
      50,
    )) as [string, StreamEntry[]];
    await this.handleAll(entries.filter((entry) => Array.isArray(entry?.[1])));
  }

  private async handleAll(entries: StreamEntry[]): Promise<void> {
    for (const [streamId, fields] of entries) {
      const event: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) event[fields[i] ?? ''] = fields[i + 1] ?? '';
      await this.handle(event);
      await this.options.redis.xack(this.options.keys.incidentEvents, GROUP, streamId);
    }
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
