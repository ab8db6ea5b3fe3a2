/**
 * The public status in the shape of Atlassian Statuspage's v2 public API, so existing clients and
 * aggregators read Vigil unchanged. Field names and enums follow that API, not Vigil's own style.
 */
import { createHash } from 'node:crypto';
import {
  type PublicComponent,
  type PublicIncident,
  type PublicMaintenance,
  type PublicStatus,
  worstStatus,
} from '@vigil/core';

/** What every object of one response shares: the page, its id and where it lives. */
export interface PageView {
  status: PublicStatus;
  pageId: string;
  baseUrl: string;
}

export function pageView(status: PublicStatus, baseUrl: string): PageView {
  // Statuspage ids are opaque strings; one derived from the title stays the same across processes.
  const pageId = createHash('sha256').update(status.page.title).digest('hex').slice(0, 12);
  return { status, pageId, baseUrl };
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export function pageJson({ status, pageId, baseUrl }: PageView) {
  return {
    id: pageId,
    name: status.page.title,
    url: baseUrl,
    time_zone: 'Etc/UTC',
    updated_at: iso(status.page.updatedAt),
  };
}

export function statusJson({ status }: PageView) {
  return { indicator: status.indicator, description: status.description };
}

type ComponentJson = ReturnType<typeof componentJson>;
type GroupJson = Omit<ComponentJson, 'group'> & { group: true; components: string[] };

/** A component; `group_id` ties it to its group, which is itself a component with `group: true`. */
function componentJson(component: PublicComponent, view: PageView, position: number) {
  const firstDay = component.uptimeDays.find((day) => day.uptime !== null)?.day;
  const updatedAt = component.updatedAt ?? view.status.page.updatedAt;
  return {
    id: component.id,
    name: component.name,
    status: component.status,
    // Vigil does not record when a component was declared: its first day of data is the nearest truth.
    created_at: firstDay ? `${firstDay}T00:00:00.000Z` : iso(updatedAt),
    updated_at: iso(updatedAt),
    position,
    description: component.description ?? null,
    showcase: true,
    start_date: firstDay ?? null,
    group_id: component.group === undefined ? null : groupId(component.group),
    page_id: view.pageId,
    group: false,
    only_show_if_degraded: false,
  };
}

function groupId(name: string): string {
  return `group-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

/** Components in page order, each group just before its first member, positions from 1 as Statuspage counts. */
export function componentsJson(view: PageView): (ComponentJson | GroupJson)[] {
  const out: (ComponentJson | GroupJson)[] = [];
  const seen = new Set<string>();
  for (const component of view.status.components) {
    if (component.group !== undefined && !seen.has(component.group)) {
      seen.add(component.group);
      out.push(groupJson(component.group, view, out.length + 1));
    }
    out.push(componentJson(component, view, out.length + 1));
  }
  return out;
}

function groupJson(name: string, view: PageView, position: number): GroupJson {
  const members = view.status.components.filter((component) => component.group === name);
  const updated = Math.max(...members.map((member) => member.updatedAt ?? view.status.page.updatedAt));
  return {
    id: groupId(name),
    name,
    status: worstStatus(members.map((member) => member.status)),
    created_at: iso(updated),
    updated_at: iso(updated),
    position,
    description: null,
    showcase: false,
    start_date: null,
    group_id: null,
    page_id: view.pageId,
    group: true,
    only_show_if_degraded: false,
    components: members.map((member) => member.id),
  };
}

/** The components an incident or window affects, as components.json lists them (same positions). */
function componentsByIds(ids: readonly string[], view: PageView): ComponentJson[] {
  return componentsJson(view).filter((c): c is ComponentJson => c.group === false && ids.includes(c.id));
}

interface UpdateJson {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: null;
  deliver_notifications: boolean;
  custom_tweet: null;
  tweet_id: null;
}

function updateJson(update: { id: string; status: string; body: string; at: number }, incidentId: string): UpdateJson {
  const at = iso(update.at);
  return {
    id: update.id,
    status: update.status,
    body: update.body,
    incident_id: incidentId,
    created_at: at,
    updated_at: at,
    display_at: at,
    affected_components: null,
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  };
}

export function incidentJson(incident: PublicIncident, view: PageView) {
  const monitoring = incident.updates.filter((update) => update.status === 'monitoring').at(-1);
  return {
    id: incident.id,
    name: incident.name,
    status: incident.status,
    created_at: iso(incident.createdAt),
    updated_at: iso(incident.updatedAt),
    monitoring_at: monitoring ? iso(monitoring.at) : null,
    resolved_at: incident.resolvedAt === undefined ? null : iso(incident.resolvedAt),
    impact: incident.impact,
    shortlink: `${view.baseUrl}/incidents/${encodeURIComponent(incident.id)}`,
    started_at: iso(incident.startedAt),
    page_id: view.pageId,
    incident_updates: incident.updates.map((update) =>
      updateJson({ id: update.id, status: update.status, body: update.message, at: update.at }, incident.id),
    ),
    components: componentsByIds(incident.components, view),
  };
}

/**
 * A maintenance window as a Statuspage scheduled maintenance. Windows come from config or the API,
 * not from a timeline, so the one update says what the window is, as of its latest transition.
 */
export function maintenanceJson(maintenance: PublicMaintenance, view: PageView) {
  const { start, end } = maintenance;
  const changedAt = { scheduled: Math.min(start, view.status.page.updatedAt), in_progress: start, completed: end }[
    maintenance.status
  ];
  const update = {
    id: `${maintenance.id}-0`,
    status: maintenance.status,
    body: maintenance.description ?? maintenance.title,
  };
  return {
    id: maintenance.id,
    name: maintenance.title,
    status: maintenance.status,
    created_at: iso(Math.min(start, view.status.page.updatedAt)),
    updated_at: iso(changedAt),
    monitoring_at: null,
    resolved_at: maintenance.status === 'completed' ? iso(end) : null,
    impact: 'maintenance' as const,
    shortlink: `${view.baseUrl}/#maintenance-${encodeURIComponent(maintenance.id)}`,
    started_at: iso(start),
    page_id: view.pageId,
    incident_updates: [updateJson({ ...update, at: changedAt }, maintenance.id)],
    components: componentsByIds(maintenance.components, view),
    scheduled_for: iso(start),
    scheduled_until: iso(end),
  };
}
