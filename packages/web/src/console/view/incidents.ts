import { downtimeBounds, formatDowntime, type Incident } from '@vigil/core';
import { html, type SafeHtml, trusted } from '../../status/page/escape.js';

/** Statuses an update or a status change may set by hand; resolving is its own button. */
const OPEN_STATUSES = ['investigating', 'identified', 'monitoring'] as const;

/** Which of the incident page's forms was posted, what it held, and what was wrong with it. */
export interface IncidentForm {
  name: 'update' | 'status' | 'postmortem';
  values: Record<string, string>;
  error?: string;
  /** The postmortem's Markdown rendered as the status page renders it (a preview). */
  preview?: string;
}

/** A postmortem as the page shows it: Markdown rendered by the status page's renderer. */
export interface PostmortemShown {
  markdown: string;
  html: string;
  by: string;
  updatedAt: number;
}

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

/**
 * The error of a form this incident's page does not show (a postmortem while it is open, an update
 * once it is resolved), announced on its own so a refused post never comes back without a reason.
 */
function unshownError(incident: Incident, form: IncidentForm | undefined): SafeHtml {
  if (form?.error === undefined) return html``;
  const shown = form.name === 'postmortem' ? incident.status === 'resolved' : incident.status !== 'resolved';
  return html`${!shown && html`<p class="error" role="alert" id="${form.name}-error">${form.error}</p>`}`;
}

/** The form's error, announced, when this is the form that was posted. */
function formError(form: IncidentForm | undefined, name: IncidentForm['name']): SafeHtml {
  return html`${form?.name === name && form.error !== undefined && html`<p class="error" role="alert" id="${name}-error">${form.error}</p>`}`;
}

function statusSelect(name: IncidentForm['name'], form: IncidentForm | undefined, current: string): SafeHtml {
  const chosen = form?.name === name ? form.values.status : current;
  const options = OPEN_STATUSES.map(
    (status) => html`<option value="${status}"${status === chosen && html` selected`}>${status}</option>`,
  );
  return html`<label>Status<select name="status">${options}</select></label>`;
}

/** Post an update and change the status: the API's two writes, as forms. */
function updateForms(incident: Incident, csrf: string, form: IncidentForm | undefined): SafeHtml {
  if (incident.status === 'resolved') return html``;
  const value = (name: IncidentForm['name']) => (form?.name === name ? (form.values.message ?? '') : '');
  const base = `/console/incidents/${incident.id}`;
  return html`<h3>Post an update</h3>${formError(form, 'update')}
<form class="stack" method="post" action="${base}/updates"><input type="hidden" name="_csrf" value="${csrf}">
${statusSelect('update', form, incident.status)}
<label>Message<textarea name="message" rows="3" required>${value('update')}</textarea></label>
<button class="primary" type="submit">Post update</button></form>
<h3>Change status</h3>${formError(form, 'status')}
<form class="stack" method="post" action="${base}/status"><input type="hidden" name="_csrf" value="${csrf}">
${statusSelect('status', form, incident.status)}
<label>Message (optional)<textarea name="message" rows="2">${value('status')}</textarea></label>
<button type="submit">Change status</button></form>`;
}

/** The postmortem as published, for everyone who may see the incident. */
function postmortemShown(postmortem: PostmortemShown | undefined): SafeHtml {
  if (!postmortem) return html``;
  // Rendered by the status page's Markdown renderer: raw HTML escaped, unsafe links dropped.
  return html`<h3>Postmortem</h3><p class="muted">By ${postmortem.by}, updated ${at(postmortem.updatedAt)}</p>
<div class="postmortem">${trusted(postmortem.html)}</div>`;
}

/** Write or edit the postmortem of a resolved incident, with a preview rendered as the public page renders it. */
function postmortemForm(
  incident: Incident,
  options: { csrf: string; form: IncidentForm | undefined; postmortem: PostmortemShown | undefined },
): SafeHtml {
  const { csrf, form, postmortem } = options;
  if (incident.status !== 'resolved') return html``;
  const markdown = form?.name === 'postmortem' ? (form.values.markdown ?? '') : (postmortem?.markdown ?? '');
  const base = `/console/incidents/${incident.id}/postmortem`;
  const preview = form?.name === 'postmortem' ? form.preview : undefined;
  return html`<h3>${postmortem ? 'Edit the postmortem' : 'Write the postmortem'}</h3>${formError(form, 'postmortem')}
<form class="stack" method="post" action="${base}"><input type="hidden" name="_csrf" value="${csrf}">
<label>Markdown<textarea name="markdown" rows="12" required>${markdown}</textarea></label>
<div class="actions"><button type="submit" formaction="${base}/preview">Preview</button><button class="primary" type="submit">Publish</button></div></form>
${preview !== undefined && html`<h4>Preview</h4><div class="postmortem preview">${trusted(preview)}</div>`}`;
}

/** One incident: its facts, downtime bounds, members and the whole timeline. */
export function incidentBody(options: {
  incident: Incident;
  now: number;
  csrf: string;
  mayAct: boolean;
  postmortem?: PostmortemShown | undefined;
  form?: IncidentForm | undefined;
}): SafeHtml {
  const { incident, now, csrf, mayAct, postmortem, form } = options;
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
${unshownError(incident, form)}
${mayAct && actions(incident, csrf)}
<h3>Checks</h3><ul>${members}</ul>
<h3>Timeline</h3><ol class="timeline">${timeline}</ol>
${postmortemShown(postmortem)}
${mayAct && html`${updateForms(incident, csrf, form)}${postmortemForm(incident, { csrf, form, postmortem })}`}`;
}
