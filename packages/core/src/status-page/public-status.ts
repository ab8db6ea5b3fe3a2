/**
 * What the public sees: the status page, its Statuspage-v2-shaped JSON and its Atom feed are all
 * rendered from these shapes, which hold nothing internal — no check targets unless the check is
 * `public: true`, no fleet incidents, no people, no private component.
 */
import type { DowntimeBounds, IncidentStatus } from '../incidents/incident.js';

/** Statuspage v2 component statuses. */
export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** Statuspage v2 page indicator. */
export type StatusIndicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

/** Statuspage v2 incident statuses: Vigil's four plus `postmortem` once one is published. */
export type PublicIncidentStatus = IncidentStatus | 'postmortem';

/** Statuspage v2 incident impact. */
export type PublicImpact = 'none' | 'minor' | 'major' | 'critical';

/** One UTC day of a component's uptime bar. */
export interface UptimeBarDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Share of decided rounds up (degraded counts as up), 0..1; null for a day without data. */
  uptime: number | null;
  /** The worst the component was that day, for the bar's colour (and its text). */
  worst: 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'no_data';
}

/** A check shown under its component: only checks marked `public: true`. */
export interface PublicCheck {
  id: string;
  name: string;
  /** URL or host:port. */
  target: string;
  status: ComponentStatus;
}

export interface PublicComponent {
  id: string;
  name: string;
  description?: string;
  /** The heading it sits under on the page, if any. */
  group?: string;
  status: ComponentStatus;
  /** 0-based page order. */
  position: number;
  /** The last 90 UTC days, oldest first. */
  uptimeDays: UptimeBarDay[];
  /** Over those days, 0..1; null without data. */
  uptime: number | null;
  /** When the latest of its checks changed state (epoch ms); absent before any decided round. */
  updatedAt?: number;
  checks: PublicCheck[];
}

export interface PublicIncidentUpdate {
  /** Stable within the incident: `<incident id>-<index>`. */
  id: string;
  at: number;
  status: PublicIncidentStatus;
  /** The public wording: Vigil's own entries are rewritten so they never name internal checks or targets. */
  message: string;
  /** Whether a person wrote it (operators' updates are shown as written). */
  human: boolean;
}

export interface PublicIncident {
  id: string;
  name: string;
  status: PublicIncidentStatus;
  impact: PublicImpact;
  createdAt: number;
  updatedAt: number;
  startedAt: number;
  resolvedAt?: number;
  /** Public component ids it affects. */
  components: string[];
  /** Newest first. */
  updates: PublicIncidentUpdate[];
  /** Final once resolved; so far while open. */
  downtime: DowntimeBounds;
  postmortem?: { markdown: string; publishedAt: number };
}

export interface PublicMaintenance {
  id: string;
  title: string;
  description?: string;
  status: 'scheduled' | 'in_progress' | 'completed';
  start: number;
  end: number;
  /** Public component ids it covers (checks' components included). */
  components: string[];
}

export interface PublicStatus {
  page: { title: string; description?: string; url?: string; updatedAt: number };
  indicator: StatusIndicator;
  /** "All Systems Operational", "Partial System Outage", "Major System Outage", "Service Under Maintenance", … */
  description: string;
  components: PublicComponent[];
  /** Unresolved public incidents, newest first. */
  incidents: PublicIncident[];
  /** Ongoing and upcoming (next 30 days) windows, earliest first. */
  maintenances: PublicMaintenance[];
}
