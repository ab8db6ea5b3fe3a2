import {
  CheckRegistry,
  HeartbeatStore,
  IncidentStore,
  LatencyRollups,
  MaintenanceSource,
  MaintenanceStore,
  type NotifierSettings,
  PublicStatusReader,
  type Redis,
  ResultStore,
  type RoleConnections,
  type RoleContext,
  SubscriberStore,
  TokenStore,
  type VigilConfig,
} from '@vigil/core';
import { AddressStates } from './evaluation/address-states.js';
import { CheckStates } from './evaluation/check-state.js';
import { RoundBook } from './evaluation/round-book.js';
import type { ChannelRegistry } from './paging/channels/channel.js';

/**
 * The notifier role's context, built once at role start and handed to every part: its connections,
 * config, channels, and one of each store. Parts take it, or the `Pick<>` of it they use.
 */
export interface NotifierContext extends RoleContext {
  /** BullMQ's: the results worker and the escalation and delivery queues share it. */
  connection: Redis;
  /** Connections a part holds for itself because it blocks on them (SUBSCRIBE, XREADGROUP BLOCK). */
  blocking: {
    /** Registry change notifications, for the check catalog. */
    registry: Redis;
    /** The incident event stream, for the incident reactor. */
    incidentEvents: Redis;
    /** The subscriber mail stream; only when the status page takes subscribers. */
    subscriberMail?: Redis;
  };
  config: VigilConfig;
  /** `config.notifier`, unless a test narrows it. */
  settings: NotifierSettings;
  /** Every configured vantage: a check without its own list is probed from all of them. */
  vantages: readonly string[];
  /** The fleet escalation policy, when it exists (else fleet incidents open but page nobody). */
  fleetEscalation?: string;
  channels: ChannelRegistry;
  /** Signs acknowledge links and webhooks, and subscribers' tokens. */
  secret: string;
  /** Base URL of the web role for links in pages and mails. */
  publicUrl: string;

  checks: CheckRegistry;
  /** Who the operators are (owners of admin tokens): their checks are the operators', for tenancy. */
  tokens: TokenStore;
  results: ResultStore;
  /** Where the latency aggregator merges its hourly sums (the console's 24 h and 7 d charts). */
  latencyRollups: LatencyRollups;
  rounds: RoundBook;
  checkStates: CheckStates;
  /** Heartbeat checks' pings and their state. */
  heartbeats: HeartbeatStore;
  /** Per-address states of `allAddresses` checks, applied in the same pipeline as `checkStates`. */
  addressStates: AddressStates;
  incidents: IncidentStore;
  maintenances: MaintenanceStore;
  /** vigil.yaml's maintenances and the API's. */
  maintenanceSource: MaintenanceSource;
  subscribers: SubscriberStore;
  publicStatus: PublicStatusReader;
}

/** What the notifier is started with besides its process's connections. */
export interface NotifierInput {
  config: VigilConfig;
  channels: ChannelRegistry;
  secret: string;
  publicUrl: string;
}

/** Builds the notifier's context on its process: opens the connections it blocks on and every store, once. */
export function createNotifierContext(base: RoleContext & RoleConnections, input: NotifierInput): NotifierContext {
  const { config } = input;
  const { redis, keys, clock, log } = base;
  const settings = config.notifier;
  const stores = { redis, keys };
  const checks = new CheckRegistry({ ...stores, log });
  const incidents = new IncidentStore(stores);
  const maintenances = new MaintenanceStore(stores);
  const maintenanceSource = new MaintenanceSource({ maintenances, config });
  const tokens = new TokenStore(stores);
  const fleetEscalation = config.escalations.some((p) => p.id === settings.fleetEscalation)
    ? settings.fleetEscalation
    : undefined;
  return {
    redis,
    keys,
    clock,
    log,
    connection: base.connection,
    blocking: {
      registry: base.dedicated('registry'),
      incidentEvents: base.dedicated('incident-events'),
      ...(config.statusPage.subscribers.enabled && { subscriberMail: base.dedicated('subscriber-mail') }),
    },
    ...input,
    settings,
    vantages: config.vantages.map((vantage) => vantage.id),
    ...(fleetEscalation && { fleetEscalation }),
    checks,
    tokens,
    results: new ResultStore({ ...stores, historySize: config.history.perCheck }),
    latencyRollups: new LatencyRollups(stores),
    rounds: new RoundBook({ ...stores, log }),
    checkStates: new CheckStates(stores),
    heartbeats: new HeartbeatStore(stores),
    addressStates: new AddressStates(stores),
    incidents,
    maintenances,
    maintenanceSource,
    subscribers: new SubscriberStore({ ...stores, secret: input.secret }),
    publicStatus: new PublicStatusReader({ ...stores, clock, config, checks, tokens, incidents, maintenanceSource }),
  };
}
