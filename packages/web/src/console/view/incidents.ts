import { downtimeBounds, formatDowntime, type Incident } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';

const at = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Open incidents the session may see, newest first. */
export function incidentListBody(incidents: Incident[]): SafeHtml {
  const rows = incidents.map(
    (incident) => html`<tr><td><a href="/console/incidents/${incident.id}">#${incident.id} ${incident.title}</a></td>
<td>${incident.status}</td><td>${incident.impact}</td><td>${at(incident.startedAt)}</td><td>${incident.acknowledgedBy ?? '—'}</td></tr>`,
  );
  return html`<h2>Open incidents</h2>${
    incidents.length === 0
      ? html`<p class="muted">No open incident.</p>`
      : html`<table><thead><tr><th scope="col">Incident</th><th scope="col">Status</th><th scope="col">Impact</th><th scope="col">Started (UTC)</th><th scope="col">Acknowledged by</th></tr></thead><tbody>${rows}</tbody></table>`
  }`;
}

/** Acknowledge and Resolve, for a session that may write; plain forms that work without script. */
function actions(incident: Incident, csrf: string): SafeHtml {
  if (incident.status === 'resolved') return html``;
  const form = (action: 'ack' | 'resolve', label: string) =>
    html`<form method="post" action="/console/incidents/${incident.id}/${action}"><input type="hidden" name="_csrf" value="${csrf}"><button class="primary" type="submit">${label}</button></form>`;
  return html`<div class="actions">${incident.acknowledgedAt === undefined && form('ack', 'Acknowledge')}${form('resolve', 'Resolve')}</div>`;
}

/** One incident: its facts, downtime bounds, members and the whole timeline. */
export function incidentBody(options: { incident: Incident; now: number; csrf: string; mayAct: boolean }): SafeHtml {
  const { incident, now, csrf, mayAct } = options;
  const bounds = downtimeBounds(incident, now);
  const members = incident.members.map(
    (member) =>
      html`<li>${member.name} (${member.checkId}): ${member.down ? 'down' : 'recovered'}, failing from ${member.vantagesFailing.length} of ${member.vantagesTotal} vantages${member.message && ` — ${member.message}`}</li>`,
  );
  const timeline = [...incident.updates]
    .reverse()
    .map(
      (update) =>
        html`<li><strong>${update.status}</strong> · ${at(update.at)} · ${update.by}<br>${update.message}</li>`,
    );
  return html`<h2>#${incident.id} ${incident.title}</h2>
<dl class="facts">
<dt>Status</dt><dd id="incident-status">${incident.status}</dd>
<dt>Impact</dt><dd>${incident.impact} (${incident.severity})</dd>
<dt>Started</dt><dd>${at(incident.startedAt)}</dd>
<dt>Detected</dt><dd>${at(incident.detectedAt)}</dd>
<dt>Acknowledged</dt><dd id="incident-ack">${incident.acknowledgedBy ? `${at(incident.acknowledgedAt)} by ${incident.acknowledgedBy}` : 'not yet'}</dd>
<dt>Resolved</dt><dd>${incident.resolvedBy ? `${at(incident.resolvedAt)} by ${incident.resolvedBy}` : 'not yet'}</dd>
<dt>Downtime</dt><dd>at least ${formatDowntime(bounds.atLeastMs)}, at most ${formatDowntime(bounds.atMostMs)}${!bounds.final && ' (so far)'}</dd>
</dl>
${mayAct && actions(incident, csrf)}
<h3>Checks</h3><ul>${members}</ul>
<h3>Timeline</h3><ol class="timeline">${timeline}</ol>`;
}
