import type { PublicComponent, PublicIncident } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';
import { formatBounds, IMPACT_LABEL, INCIDENT_STATUS_LABEL, timeTag } from './format.js';
import { affected, timeline } from './incidents.js';
import { layout } from './layout.js';

export interface IncidentPageOptions {
  site: string;
  incident: PublicIncident;
  components: readonly PublicComponent[];
  /** Markdown to safe HTML; without one the postmortem is shown as its source text. */
  markdown?: (source: string) => SafeHtml;
}

function postmortem(incident: PublicIncident, markdown: IncidentPageOptions['markdown']): SafeHtml {
  if (!incident.postmortem) return html``;
  const { markdown: source, publishedAt } = incident.postmortem;
  return html`<section class="postmortem" aria-labelledby="postmortem-h"><h3 id="postmortem-h">Postmortem</h3>
<p class="meta">Published ${timeTag(publishedAt)}</p>
${markdown ? markdown(source) : html`<pre>${source}</pre>`}
</section>`;
}

/** One incident with its whole timeline and its downtime bounds, linkable for as long as it is kept. */
export function incidentPage(options: IncidentPageOptions): string {
  const { site, incident, components, markdown } = options;
  const affects = affected(incident, components);
  const body = html`<article class="incident" data-status="${incident.status}">
<h2>${incident.name}</h2>
<p class="meta">${INCIDENT_STATUS_LABEL[incident.status]} · ${IMPACT_LABEL[incident.impact]}${affects && ` · Affects: ${affects}`}</p>
<p class="meta">Started ${timeTag(incident.startedAt)}${incident.resolvedAt !== undefined && html` · Resolved ${timeTag(incident.resolvedAt)}`}</p>
<p class="bounds">${formatBounds(incident.downtime, incident.impact)}</p>
<section aria-labelledby="updates-h"><h3 id="updates-h">Updates</h3>${timeline(incident.updates)}</section>
${postmortem(incident, markdown)}
</article>
<p><a href="/history">All past incidents</a></p>`;
  return layout({ site, title: incident.name, body });
}

/** A 4xx as a page a person can read: what was wrong, and the way back. */
export function errorPage(options: { site: string; title: string; message: string }): string {
  const { site, title, message } = options;
  const body = html`<h2>${title}</h2><p>${message}</p><p><a href="/">Back to the current status</a></p>`;
  return layout({ site, title, body });
}
