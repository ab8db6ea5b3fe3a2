import { BlindSpots } from './evaluation/blind-spots.js';
import { CheckCatalog } from './evaluation/check-catalog.js';
import { Evaluator } from './evaluation/evaluator.js';
import { HeartbeatWatch } from './evaluation/heartbeat-watch.js';
import { ResultRecorder } from './evaluation/result-recorder.js';
import { VantageHealth } from './evaluation/vantage-health.js';
import { IncidentDesk } from './incidents/incident-desk.js';
import { IncidentReactor } from './incidents/incident-reactor.js';
import { LatencyAggregator } from './latency/latency-aggregator.js';
import type { NotifierContext } from './notifier-context.js';
import { watchOpenIncidents } from './notifier-metrics.js';
import { Deliveries } from './paging/delivery.js';
import { Escalations } from './paging/escalation.js';
import { SubscriberMailer } from './subscribers/subscriber-mailer.js';

export interface NotifierOptions {
  /** How often due rounds are decided, and how often the fleet is judged. */
  tickMs?: number;
  fleetTickMs?: number;
  /** How often heartbeat pings are read and heartbeat checks judged late. */
  heartbeatTickMs?: number;
  recorderConcurrency?: number;
  /**
   * How often latency sums are merged into the rollups at least (also at each hour boundary and on
   * close); the config's `notifier.latencyMergeEvery` unless said.
   */
  latencyFlushMs?: number;
}

/**
 * The notifier role: records results, decides rounds, keeps check states, opens and resolves
 * incidents, watches the fleet, and pages through escalation and delivery queues. Several can run
 * at once; everything they must not do twice is decided in Redis.
 */
export class Notifier {
  readonly health: VantageHealth;
  private readonly catalog: CheckCatalog;
  private readonly recorder: ResultRecorder;
  private readonly latency: LatencyAggregator;
  private readonly evaluator: Evaluator;
  private readonly desk: IncidentDesk;
  private readonly blindSpots: BlindSpots;
  private readonly heartbeats: HeartbeatWatch;
  private readonly deliveries: Deliveries;
  private readonly escalations: Escalations;
  private readonly reactor: IncidentReactor;
  private readonly subscriberMailer: SubscriberMailer | undefined;
  private timers: NodeJS.Timeout[] = [];
  private busy = new Set<string>();
  private closing: Promise<void> | undefined;
  /** Stops `vigil_incidents_open` reading this notifier's Redis. */
  private unwatchIncidents: (() => void) | undefined;

  /** Its parts share `ctx`: its connections and one of each store, built at role start. */
  constructor(
    private readonly ctx: NotifierContext,
    private readonly options: NotifierOptions = {},
  ) {
    this.catalog = new CheckCatalog(ctx);
    this.health = new VantageHealth(ctx);
    this.desk = new IncidentDesk(ctx, { catalog: this.catalog });
    this.evaluator = new Evaluator(ctx, { catalog: this.catalog, desk: this.desk, health: this.health });
    this.blindSpots = new BlindSpots(ctx, { catalog: this.catalog });
    this.heartbeats = new HeartbeatWatch(ctx, { catalog: this.catalog, evaluator: this.evaluator });
    this.latency = new LatencyAggregator(ctx, {
      flushEveryMs: options.latencyFlushMs ?? ctx.settings.latencyMergeEvery,
    });
    this.catalog.onGone((id) => this.latency.forget(id));
    this.recorder = new ResultRecorder(ctx, {
      ...(options.recorderConcurrency && { concurrency: options.recorderConcurrency }),
      record: (batch) => this.evaluator.recordAndDecide(batch),
      // The one place results reach the latency rollups: those newly recorded, however they arrived.
      onBatch: (recorded) => this.latency.add(recorded),
    });
    this.deliveries = new Deliveries(ctx);
    this.escalations = new Escalations(ctx, { deliveries: this.deliveries });
    this.reactor = new IncidentReactor(ctx, { escalations: this.escalations, deliveries: this.deliveries });
    // Its reader is opened only when the status page takes subscribers.
    const mailReader = ctx.blocking.subscriberMail;
    if (mailReader) this.subscriberMailer = new SubscriberMailer(ctx, { reader: mailReader });
  }

  async start(): Promise<void> {
    await this.catalog.start();
    await this.health.load();
    this.unwatchIncidents = watchOpenIncidents(this.ctx);
    await this.deliveries.start();
    await this.escalations.start();
    await this.reactor.start();
    await this.subscriberMailer?.start();
    await this.recorder.start();
    await this.heartbeats.start();
    const tick = this.options.tickMs ?? 250;
    const fleetTick = this.options.fleetTickMs ?? 2_000;
    this.every('rounds', tick, () => this.evaluator.decideDueOnTick());
    this.every('latency', Math.min(15_000, this.options.latencyFlushMs ?? 15_000), () => this.latency.tick());
    this.every('heartbeats', this.options.heartbeatTickMs ?? 1_000, () => this.heartbeats.tick());
    this.every('fleet', fleetTick, async () => {
      await this.health.tick();
      await this.blindSpots.tick();
      await this.desk.drain();
    });
  }

  /** Stops taking results first, then the timers, merges the latency sums held, then paging; each step once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unwatchIncidents?.();
      await this.recorder.close();
      for (const timer of this.timers) clearInterval(timer);
      while (this.busy.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await this.latency
        .flush()
        .catch((err: unknown) =>
          this.ctx.log.warn({ err: (err as Error).message }, 'latency rollups not merged at close'),
        );
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
        .catch((err: unknown) => this.ctx.log.warn({ err: (err as Error).message, job: name }, 'notifier tick failed'))
        .finally(() => this.busy.delete(name));
    }, ms);
    this.timers.push(timer);
  }
}
