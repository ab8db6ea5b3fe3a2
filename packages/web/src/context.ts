import type {
  CheckRegistry,
  HeartbeatStore,
  IncidentStore,
  MaintenanceSource,
  MaintenanceStore,
  PublicStatusReader,
  ResultStore,
  RoleContext,
  SubscriberStore,
  TargetGuard,
  TokenStore,
  VigilConfig,
} from '@vigil/core';

/** What every route works with, built once at role start: Redis and its stores, the fleet's config, the clock, the log. */
export interface WebContext extends RoleContext {
  /** The fleet's vigil.yaml: vantages, components, escalations and defaults that API checks must agree with. */
  config: VigilConfig;
  /** Verifies the signed acknowledge links in pages. */
  secret: string;
  /** Refuses literal private targets at registration, as the probers do at connect time. */
  guard: TargetGuard;
  checks: CheckRegistry;
  tokens: TokenStore;
  /** Heartbeat checks' ping tokens and pings. */
  heartbeats: HeartbeatStore;
  results: ResultStore;
  incidents: IncidentStore;
  maintenances: MaintenanceStore;
  /** vigil.yaml's maintenances and the API's, as the public pages show them. */
  maintenanceSource: MaintenanceSource;
  /** The status page's email subscribers. */
  subscribers: SubscriberStore;
  /** The public site's one reader: its memo serves every page, feed and JSON route. */
  publicStatus: PublicStatusReader;
}
