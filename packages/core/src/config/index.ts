/** vigil.yaml: the schema of the whole file, its shared field shapes, durations and the notifier's settings. */
export {
  checkIssues,
  loadConfig,
  type ProberSettings,
  parseConfig,
  type Vantage,
  type VigilConfig,
  validateConfig,
} from './config.js';
export type { ConsoleRole, ConsoleSettings, OidcSettings } from './console-settings.js';
export { formatDuration } from './duration.js';
export { DEFAULT_METRICS_PORT, type ListenAddress, type MetricsSettings } from './metrics-settings.js';
export { DEFAULT_LATENCY_MERGE_MS, type NotifierSettings } from './notifier-settings.js';
