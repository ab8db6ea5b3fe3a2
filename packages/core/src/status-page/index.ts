/** The public status page's model: components, public wording of incidents, and email subscribers. */
export { worstStatus } from './public-components.js';
export type {
  ComponentStatus,
  PublicCheck,
  PublicComponent,
  PublicImpact,
  PublicIncident,
  PublicIncidentStatus,
  PublicIncidentUpdate,
  PublicMaintenance,
  PublicStatus,
  StatusIndicator,
  UptimeBarDay,
} from './public-status.js';
export { PublicStatusReader, STATUS_MEMO_MS } from './public-status-reader.js';
export { publicComponents } from './status-page-settings.js';
export { SubscriberStore, subscriberEmailSchema } from './subscriber-store.js';
