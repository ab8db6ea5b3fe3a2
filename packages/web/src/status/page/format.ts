import type { ComponentStatus, PublicImpact, PublicIncidentStatus, StatusIndicator, UptimeBarDay } from '@vigil/core';
import { type DowntimeBounds, formatDowntime } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';

/** Every colour on the page is paired with one of these words, so nothing is said by colour alone. */
export const COMPONENT_STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded Performance',
  partial_outage: 'Partial Outage',
  major_outage: 'Major Outage',
  under_maintenance: 'Under Maintenance',
};

export const INCIDENT_STATUS_LABEL: Record<PublicIncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

export const IMPACT_LABEL: Record<PublicImpact, string> = {
  none: 'No impact',
  minor: 'Minor impact',
  major: 'Major impact',
  critical: 'Critical impact',
};

export const DAY_LABEL: Record<UptimeBarDay['worst'], string> = {
  operational: 'no downtime',
  degraded_performance: 'degraded performance',
  partial_outage: 'partial outage',
  major_outage: 'major outage',
  no_data: 'no data',
};

/** The banner's colour class; the words come from `PublicStatus.description`. */
export const INDICATOR_CLASS: Record<StatusIndicator, string> = {
  none: 'ok',
  minor: 'minor',
  major: 'major',
  critical: 'critical',
  maintenance: 'maintenance',
};

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `Mon, 04 Apr 2022` in UTC: one format on every page, whatever the server's locale or zone. */
export function formatDay(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** `Mon, 04 Apr 2022 18:42 UTC`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${formatDay(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** A `<time>` with the machine-readable instant and the UTC wording. */
export function timeTag(ms: number): SafeHtml {
  return html`<time datetime="${new Date(ms).toISOString()}">${formatTime(ms)}</time>`;
}

/** `99.95%`: two decimals, without rounding a bad day up to 100%. */
export function formatPercent(share: number): string {
  const hundredths = Math.floor(share * 10_000);
  return `${(hundredths / 100).toFixed(2)}%`;
}

/** "Unreachable for at least 2h50 and at most 4h04", "so far" while it lasts; minor incidents were degraded. */
export function formatBounds(bounds: DowntimeBounds, impact: PublicImpact): string {
  const how = impact === 'minor' || impact === 'none' ? 'Degraded' : 'Unreachable';
  const soFar = bounds.final ? '' : ' so far';
  return `${how} for at least ${formatDowntime(bounds.atLeastMs)} and at most ${formatDowntime(bounds.atMostMs)}${soFar}`;
}
