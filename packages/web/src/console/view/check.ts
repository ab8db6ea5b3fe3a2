import type { ProbeResult, UptimeWindow } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';
import type { CheckPage } from '../checks/check-page.js';

const at = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const ms = (value: number | undefined) => (value === undefined ? '—' : `${Math.round(value)} ms`);
const WINDOWS: readonly UptimeWindow[] = ['24h', '7d', '30d', '90d'];

/** The check page's few rules, appended to the console's stylesheet (with uPlot's own). */
export const CHECK_STYLES = `
.chart-ranges{display:flex;gap:.5rem;margin:0 0 .75rem}
.chart-ranges button[aria-pressed="true"]{background:var(--link);border-color:var(--link);color:#fff}
figure.chart{margin:0 0 1.25rem}figure.chart figcaption{font-weight:600;margin:0 0 .25rem}
button.danger{background:var(--down);border-color:var(--down);color:#fff}
`;

export interface CheckPageView {
  page: CheckPage;
  csrf: string;
  mayAct: boolean;
  /** The uPlot and chart scripts' URLs (fingerprinted files: the CSP runs no inline script). */
  scripts: string[];
}

function latestRow(result: ProbeResult): SafeHtml {
  const { timings } = result;
  const outcome = result.ok ? 'up' : 'down';
  const error = result.ok ? '—' : `${result.error ?? 'failed'}${result.message ? `: ${result.message}` : ''}`;
  return html`<tr><th scope="row">${result.vantage}</th><td><span class="state state-${outcome}">${outcome}</span></td>
<td>${at(result.finishedAt)}</td><td>${result.status ?? '—'}</td><td>${result.remoteAddress ?? '—'}</td>
<td>${ms(timings.dns)}</td><td>${ms(timings.connect)}</td><td>${ms(timings.tls)}</td><td>${ms(timings.firstByte)}</td><td>${ms(timings.total)}</td>
<td>${error}</td></tr>`;
}

function latestTable(latest: ProbeResult[]): SafeHtml {
  if (latest.length === 0) return html`<p class="muted">No result yet from any vantage.</p>`;
  return html`<table id="latest"><thead><tr><th scope="col">Vantage</th><th scope="col">Result</th><th scope="col">At (UTC)</th>
<th scope="col">HTTP</th><th scope="col">Address</th><th scope="col">DNS</th><th scope="col">Connect</th><th scope="col">TLS</th>
<th scope="col">First byte</th><th scope="col">Total</th><th scope="col">Error</th></tr></thead><tbody>${latest.map(latestRow)}</tbody></table>`;
}

function addressTable(page: CheckPage): SafeHtml {
  const addresses = page.check.addresses ?? [];
  if (addresses.length === 0) return html``;
  const rows = addresses.map(
    (a) =>
      html`<tr><th scope="row">${a.address}</th><td><span class="state state-${a.state}">${a.state}</span></td><td>${at(a.since)}</td>
<td>${a.failing.length === 0 ? '—' : a.failing.join(', ')}${a.error && ` (${a.error})`}</td></tr>`,
  );
  return html`<h3>Addresses</h3><table id="addresses"><thead><tr><th scope="col">Address</th><th scope="col">State</th>
<th scope="col">Since (UTC)</th><th scope="col">Failing from</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function uptimeList(page: CheckPage): SafeHtml {
  const items = WINDOWS.map((window) => {
    const uptime = page.uptime[window].uptime;
    return html`<dt>${window}</dt><dd data-window="${window}">${uptime === null ? 'no data' : `${(uptime * 100).toFixed(3)} %`}</dd>`;
  });
  return html`<h3>Uptime</h3><dl class="facts" id="uptime">${items}</dl>`;
}

function incidentList(page: CheckPage): SafeHtml {
  if (page.incidents.length === 0) return html`<p class="muted">No incident.</p>`;
  const items = page.incidents.map(
    (incident) =>
      html`<li><a href="/console/incidents/${incident.id}">#${incident.id} ${incident.title}</a> · ${incident.status} · ${at(incident.startedAt)}</li>`,
  );
  return html`<ul id="check-incidents">${items}</ul>`;
}

/** Pause or Resume, and Delete: plain forms with the session's CSRF token, for a session that may write. */
function actions(page: CheckPage, csrf: string): SafeHtml {
  const { id, paused } = page.check;
  const fields = html`<input type="hidden" name="_csrf" value="${csrf}">`;
  const form = (action: string, label: string) =>
    html`<form method="post" action="/console/checks/${id}/${action}">${fields}<button class="primary" type="submit">${label}</button></form>`;
  const question = `Delete check ${id}? Its probes stop and it cannot be undone.`;
  const remove = html`<form method="post" action="/console/checks/${id}/delete" data-confirm="${question}">${fields}<button class="danger" type="submit">Delete</button></form>`;
  return html`<div class="actions"><a href="/console/checks/${id}/edit">Edit</a>${paused ? form('resume', 'Resume') : form('pause', 'Pause')}${remove}</div>`;
}

/** The edit form: the check's definition as YAML (the fields of a check in vigil.yaml), and the API's error if it was refused. */
export function checkEditBody(options: { id: string; definition: string; csrf: string; error?: string }): SafeHtml {
  const { id, definition, csrf, error } = options;
  return html`<h2>Edit <a href="/console/checks/${id}">${id}</a></h2>
${error !== undefined && html`<p class="error" role="alert" id="check-edit-error">${error}</p>`}
<form class="stack" method="post" action="/console/checks/${id}/edit"><input type="hidden" name="_csrf" value="${csrf}">
<label>Definition (YAML: the fields of a check in vigil.yaml)<textarea name="definition" rows="24" spellcheck="false" required>${definition}</textarea></label>
<button class="primary" type="submit">Save</button></form>`;
}

function chartSection(page: CheckPage): SafeHtml {
  const ranges = (['1h', '24h', '7d'] as const).map(
    (range) => html`<button type="button" data-range="${range}" aria-pressed="${range === '1h'}">${range}</button>`,
  );
  return html`<h3>Latency</h3>
<div class="chart-ranges" role="group" aria-label="Latency range">${ranges}</div>
<div id="latency" data-src="/console/checks/${page.check.id}/latency" aria-live="polite"><p class="muted">Loading the chart…</p></div>`;
}

/** One check: state, latest result per vantage, addresses, uptime, latency charts, incidents, actions. */
export function checkBody(options: CheckPageView): SafeHtml {
  const { page, csrf, mayAct, scripts } = options;
  const { check } = page;
  return html`<h2>${check.name} <span class="muted">(${check.id})</span></h2>
<dl class="facts">
<dt>State</dt><dd id="check-state"><span class="state state-${check.state}">${check.state}</span></dd>
<dt>Interval</dt><dd>${check.intervalMs / 1000} s</dd>
${check.component && html`<dt>Component</dt><dd>${check.component}</dd>`}
</dl>
${mayAct && actions(page, csrf)}
<h3>Latest result per vantage</h3>${latestTable(page.latest)}
${addressTable(page)}
${uptimeList(page)}
${chartSection(page)}
<h3>Incidents</h3>${incidentList(page)}
${scripts.map((src) => html`<script src="${src}" defer></script>`)}`;
}
