import {
  type Clock,
  IncidentStore,
  type Logger,
  MaintenanceSource,
  type Redis,
  type RedisKeys,
  systemClock,
  type VigilConfig,
} from '@vigil/core';
import { BlindSpots } from './evaluation/blind-spots.js';
import { CheckCatalog } from './evaluation/check-catalog.js';
import { CheckStates } from './evaluation/check-state.js';
import { Evaluator } from './evaluation/evaluator.js';
import { ResultRecorder } from './evaluation/result-recorder.js';
import { VantageHealth } from './evaluation/vantage-health.js';
import { IncidentDesk } from './incidents/incident-desk.js';
import { IncidentReactor } from './incidents/incident-reactor.js';
import { watchOpenIncidents } from './notifier-metrics.js';
import type { ChannelRegistry } from './paging/channels/channel.js';
import { Deliveries } from './paging/delivery.js';
import { Escalations } from './paging/escalation.js';
import { SubscriberMailer } from './subscribers/subscriber-mailer.js';

export interface NotifierOptions {
  redis: Redis;
  /** Shared by the BullMQ queues and workers. */
  connection: Redis;
  /** Opens a connection of its own (registry changes, the blocking event stream reader). */
  dedicated(name: string): Redis;
  keys: RedisKeys;
  log: Logger;
  clock?: Clock;
  config: VigilConfig;
  channels: ChannelRegistry;
  secret: string;
  publicUrl: string;
  /** How often due rounds are decided, and how often the fleet is judged. */
  tickMs?: number;
  fleetTickMs?: number;
  recorderConcurrency?: number;
}

/**
 * The notifier role: records results, decides rounds, keeps check states, opens and resolves
 * incidents, watches the fleet, and pages through escalation and delivery queues. Several can run
 * at once; everything they must not do twice is decided in Redis.
 */
export class Notifier {
  readonly incidents: IncidentStore;
  readonly health: VantageHealth;
  private readonly catalog: CheckCatalog;
  private readonly recorder: ResultRecorder;
  private readonly evaluator: Evaluator;
  private readonly desk: IncidentDesk;
  private readonly blindSpots: BlindSpots;
  private readonly deliveries: Deliveries;
  private readonly escalations: Escalations;
  private readonly reactor: IncidentReactor;
  private readonly subscriberMailer: SubscriberMailer | undefined;
  private timers: NodeJS.Timeout[] = [];
  private busy = new Set<string>();
  private closing: Promise<void> | undefined;
  /** Stops `vigil_incidents_open` reading this notifier's Redis. */
  private unwatchIncidents: (() => void) | undefined;

  constructor(private readonly options: NotifierOptions) {
    const { config, log } = options;
    const clock = options.clock ?? systemClock;
    const ctx = { redis: options.redis, keys: options.keys, log, clock };
    const settings = config.notifier;
    const vantages = config.vantages.map((vantage) => vantage.id);
    const fleetPolicy = config.escalations.some((p) => p.id === settings.fleetEscalation)
      ? settings.fleetEscalation
      : undefined;
    this.incidents = new IncidentStore(ctx);
    this.catalog = new CheckCatalog({ ...ctx, subscriber: options.dedicated('registry') });
    this.health = new VantageHealth({
      ...ctx,
      incidents: this.incidents,
      vantages,
      settings,
      ...(fleetPolicy && { fleetEscalation: fleetPolicy }),
    });
    const maintenances = new MaintenanceSource({ ...ctx, config });
    this.desk = new IncidentDesk({ ...ctx, config, catalog: this.catalog, maintenances });
    this.evaluator = new Evaluator({
      ...ctx,
      catalog: this.catalog,
      desk: this.desk,
      health: this.health,
      vantages,
      settings,
    });
    this.blindSpots = new BlindSpots({
      ...ctx,
      catalog: this.catalog,
      states: new CheckStates(ctx),
      incidents: this.incidents,
      settings,
      ...(fleetPolicy && { fleetEscalation: fleetPolicy }),
    });
    this.recorder = new ResultRecorder({
      ...ctx,
      connection: options.connection,
      historySize: config.history.perCheck,
      ...(options.recorderConcurrency && { concurrency: options.recorderConcurrency }),
      onRecorded: (data, outcome) => (outcome === 'duplicate' ? undefined : this.evaluator.onResult(data)),
    });
    const paging = { ...ctx, connection: options.connection, config, settings };
    this.deliveries = new Deliveries({
      ...paging,
      channels: options.channels,
      secret: options.secret,
      publicUrl: options.publicUrl,
    });
    this.escalations = new Escalations({ ...paging, deliveries: this.deliveries });
    this.reactor = new IncidentReactor({
      ...ctx,
      reader: options.dedicated('incident-events'),
      escalations: this.escalations,
      deliveries: this.deliveries,
    });
    if (config.statusPage.subscribers.enabled)
      this.subscriberMailer = new SubscriberMailer({
        ...ctx,
        reader: options.dedicated('subscriber-mail'),
        config,
        secret: options.secret,
        email: options.channels.email,
        publicUrl: options.publicUrl,
      });
  }

  async start(): Promise<void> {
    await this.catalog.start();
    await this.health.load();
    this.unwatchIncidents = watchOpenIncidents({
      redis: this.options.redis,
      keys: this.options.keys,
      log: this.options.log,
    });
    await this.deliveries.start();
    await this.escalations.start();
    await this.reactor.start();
    await this.subscriberMailer?.start();
    await this.recorder.start();
    const tick = this.options.tickMs ?? 250;
    const fleetTick = this.options.fleetTickMs ?? 2_000;
    this.every('rounds', tick, () => this.evaluator.decideDue());
    this.every('fleet', fleetTick, async () => {
      await this.health.tick();
      await this.blindSpots.tick();
      await this.desk.drain();
    });
  }

  /** Stops taking results first, then the timers, then paging; each step once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unwatchIncidents?.();
      await this.recorder.close();
      for (const timer of this.timers) clearInterval(timer);
      while (this.busy.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await this.reactor.close();
      await this.subscriberMailer?.close();
      await this.escalations.close();
      await this.deliveries.close();
      await this.catalog.close();
    })();
    return this.closing;
  }

  /** A periodic job that never overlaps itself and logs (never throws) its failures. */
  private every(name: string, ms: number, run: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (this.busy.has(name) || this.closing) return;
      this.busy.add(name);
      run()
        .catch((err: unknown) =>
          this.options.log.warn({ err: (err as Error).message, job: name }, 'notifier tick failed'),
        )
        .finally(() => this.busy.delete(name));
    }, ms);
    this.timers.push(timer);
  }
}
