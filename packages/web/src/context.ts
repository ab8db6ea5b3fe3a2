import type {
  CheckRegistry,
  Clock,
  IncidentStore,
  Logger,
  MaintenanceStore,
  Redis,
  RedisKeys,
  ResultStore,
  TargetGuard,
  TokenStore,
  VigilConfig,
} from '@vigil/core';

/** What every route works with: Redis and its stores, the fleet's config, the clock, the log. */
export interface WebContext {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
  clock: Clock;
  /** The fleet's vigil.yaml: vantages, components, escalations and defaults that API checks must agree with. */
  config: VigilConfig;
  /** Verifies the signed acknowledge links in pages. */
  secret: string;
  /** Refuses literal private targets at registration, as the probers do at connect time. */
  guard: TargetGuard;
  checks: CheckRegistry;
  tokens: TokenStore;
  results: ResultStore;
  incidents: IncidentStore;
  maintenances: MaintenanceStore;
}
