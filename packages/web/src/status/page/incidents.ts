import type { PublicComponent, PublicIncident, PublicIncidentUpdate } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';
import { formatBounds, IMPACT_LABEL, INCIDENT_STATUS_LABEL, timeTag } from './format.js';

/** `/incidents/<id>`, the id encoded: it is a path segment. */
export function incidentHref(id: string): string {
  return `/incidents/${encodeURIComponent(id)}`;
}

/** One entry, as status pages have always written them: "Investigating – message", then the time. */
export function updateItem(update: PublicIncidentUpdate): SafeHtml {
  return html`<li><p><strong>${INCIDENT_STATUS_LABEL[update.status]}</strong> – ${update.message}</p>${timeTag(update.at)}</li>`;
}

/** The whole timeline, newest first (the order `PublicIncident.updates` already has). */
export function timeline(updates: readonly PublicIncidentUpdate[]): SafeHtml {
  return html`<ol class="timeline">${updates.map(updateItem)}</ol>`;
}

/** Names of the affected public components, for "Affects: …". */
export function affected(incident: PublicIncident, components: readonly PublicComponent[]): string {
  const names = new Map(components.map((component) => [component.id, component.name]));
  return incident.components.map((id) => names.get(id) ?? id).join(', ');
}

export interface IncidentCardOptions {
  incident: PublicIncident;
  components: readonly PublicComponent[];
  /** The heading level the incident's name takes where it sits. */
  level: 2 | 3 | 4;
  /** All updates, or only the latest (the history page's summary). */
  full: boolean;
}

/** An incident: its linked name, status, what it affects, its downtime bounds and its timeline. */
export function incidentCard(options: IncidentCardOptions): SafeHtml {
  const { incident, components, level, full } = options;
  const name = html`<a href="${incidentHref(incident.id)}">${incident.name}</a>`;
  const heading = html`<h${level}>${name}</h${level}>`;
  const affects = affected(incident, components);
  const updates = full ? incident.updates : incident.updates.slice(0, 1);
  return html`<article class="card incident" data-status="${incident.status}">
${heading}
<p class="meta">${INCIDENT_STATUS_LABEL[incident.status]} · ${IMPACT_LABEL[incident.impact]}${affects && ` · Affects: ${affects}`}</p>
<p class="bounds">${formatBounds(incident.downtime, incident.impact)}</p>
${timeline(updates)}
</article>`;
}

/** Open incidents, newest first: the part of the page people come for during an outage. */
export function openIncidentsSection(incidents: readonly PublicIncident[], components: readonly PublicComponent[]) {
  if (incidents.length === 0) return html``;
  return html`<section aria-labelledby="incidents-h"><h2 id="incidents-h">Active incidents</h2>
${incidents.map((incident) => incidentCard({ incident, components, level: 3, full: true }))}
</section>`;
}

/** Incidents resolved lately, so a visitor who saw the outage also sees it end (and for how long). */
export function recentlyResolvedSection(incidents: readonly PublicIncident[], components: readonly PublicComponent[]) {
  return html`<section aria-labelledby="recent-h"><h2 id="recent-h">Recently resolved</h2>
${
  incidents.length === 0
    ? html`<p class="muted">No incidents resolved in the last 7 days.</p>`
    : incidents.map((incident) => incidentCard({ incident, components, level: 3, full: false }))
}
<p><a href="/history">Past incidents</a></p>
</section>`;
}
