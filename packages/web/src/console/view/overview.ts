import { CHECK_LIST_STATES } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';

/** One row of the grid: a check, its decided state and each vantage's cell. */
export interface GridRow {
  id: string;
  name: string;
  component?: string;
  state: string;
  cells: { vantage: string; state: string; detail: string }[];
}

/** A queue in the fleet panel: `behind` null while it keeps up. */
export interface LagView {
  queue: string;
  behind: { waiting: number; oldestS: number } | null;
}

export interface GridView {
  rows: GridRow[];
  vantages: string[];
  total: number;
  fleet: {
    vantages: { id: string; health: string }[];
    /** Checks (the token may see) no round could judge: nobody is watching them. */
    blind: { count: number; incidentId?: string };
    probes: LagView[];
    /** Null when the results' backlog could not be read. */
    results: LagView | null;
  };
  incidents: { id: string; title: string; status: string; acknowledged: boolean }[];
  /** The filters' query string (no cursor), for the pager and the poll. */
  query: string;
  cursor?: string;
  nextCursor: string | null;
}

export interface Filters {
  component?: string;
  tag?: string;
  state?: string;
  q?: string;
}

/** What each cell's word means; the word (and a shape before it) carries the state, the colour only repeats it. */
const LEGEND: [state: string, meaning: string][] = [
  ['up', 'the latest result passed'],
  ['degraded', 'the latest result passed, slower than the check’s maxMs'],
  ['down', 'the latest result failed'],
  ['unknown', 'no recent result from this vantage'],
  ['paused', 'the check is paused'],
  ['maintenance', 'the check is under maintenance'],
  ['n/a', 'the check is not probed from this vantage'],
];

function legend(): SafeHtml {
  return html`<details class="legend"><summary>Legend</summary><dl>${LEGEND.map(
    ([state, meaning]) =>
      html`<div><dt><span class="state state-${state}">${state}</span></dt><dd>${meaning}</dd></div>`,
  )}</dl></details>`;
}

/** How often an open overview asks whether its grid changed (an unchanged one costs a 304). */
export const POLL_MS = 2_000;

function lagItem(label: string, lag: LagView): SafeHtml {
  return lag.behind === null
    ? html`<li>${label}: keeping up</li>`
    : html`<li class="lagging">${label}: <strong>${lag.behind.waiting} waiting, the oldest for ${lag.behind.oldestS} s or more</strong></li>`;
}

function blindLine(blind: GridView['fleet']['blind']): SafeHtml {
  const words = `${blind.count} blind spot${blind.count === 1 ? '' : 's'}`;
  return blind.incidentId === undefined
    ? html`${words}`
    : html`<a href="/console/incidents/${blind.incidentId}">${words}</a>`;
}

function fleetBlock(fleet: GridView['fleet']): SafeHtml {
  const count = (health: string) => fleet.vantages.filter((vantage) => vantage.health === health).length;
  const lags = [
    ...fleet.probes.map((lag) => lagItem(`probes for ${lag.queue.replace(/^probe\./, '')}`, lag)),
    fleet.results === null ? html`<li>results: not read</li>` : lagItem('results for the notifier', fleet.results),
  ];
  return html`<h2 id="fleet-heading">Fleet</h2>
<p>${count('ok')} ok · ${count('impaired')} impaired · ${count('silent')} silent</p>
<ul class="fleet" aria-labelledby="fleet-heading">${fleet.vantages.map(
    (vantage) => html`<li>${vantage.id}: <span class="state state-${vantage.health}">${vantage.health}</span></li>`,
  )}</ul>
<p id="blind-spots">${blindLine(fleet.blind)}</p>
<ul class="fleet queues" aria-label="Queue lag">${lags}</ul>`;
}

function incidentsBlock(incidents: GridView['incidents']): SafeHtml {
  return html`<h2 id="open-incidents">Open incidents (${incidents.length})</h2>
${
  incidents.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<ul aria-labelledby="open-incidents">${incidents.map(
        (incident) =>
          html`<li><a href="/console/incidents/${incident.id}">#${incident.id} ${incident.title}</a> · ${incident.status}${incident.acknowledged && ' · acknowledged'}</li>`,
      )}</ul>`
}`;
}

function gridTable(view: GridView): SafeHtml {
  const head = html`<tr><th scope="col">Check</th><th scope="col">State</th>${view.vantages.map(
    (vantage) => html`<th scope="col">${vantage}</th>`,
  )}</tr>`;
  const rows = view.rows.map(
    (
      row,
    ) => html`<tr id="check-${row.id}"><th scope="row"><a href="/console/checks/${row.id}">${row.name}</a><br><span class="muted">${row.id}${row.component && ` · ${row.component}`}</span></th>
<td class="state state-${row.state}">${row.state}</td>${row.cells.map(
      (cell) =>
        html`<td class="state state-${cell.state}" data-vantage="${cell.vantage}" title="${cell.detail}">${cell.state}</td>`,
    )}</tr>`,
  );
  return html`<table><caption class="muted">${view.rows.length} of ${view.total} checks</caption><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function pager(view: GridView): SafeHtml {
  const join = (extra: string) => `/console?${[view.query, extra].filter((part) => part !== '').join('&')}`;
  return html`<nav class="pager" aria-label="Pages">${view.cursor !== undefined && html`<a href="${join('')}">First page</a>`}${
    view.nextCursor !== null && html`<a href="${join(`cursor=${encodeURIComponent(view.nextCursor)}`)}">Next page</a>`
  }</nav>`;
}

/** What the poll swaps: fleet health, open incidents and the grid, carrying the ETag it was rendered with. */
export function gridInner(view: GridView): SafeHtml {
  return html`${fleetBlock(view.fleet)}${incidentsBlock(view.incidents)}<h2>Checks</h2>${gridTable(view)}${pager(view)}`;
}

/** The live region: polls its own URL with the ETag it holds; the server answers 304 while nothing changed. */
export function gridFragment(view: GridView, inner: SafeHtml, etag: string): SafeHtml {
  const search = [view.query, view.cursor && `cursor=${encodeURIComponent(view.cursor)}`].filter(Boolean).join('&');
  const url = search === '' ? '/console/grid' : `/console/grid?${search}`;
  const headers = JSON.stringify({ 'if-none-match': etag });
  return html`<div id="live" hx-get="${url}" hx-trigger="every ${POLL_MS}ms" hx-swap="outerHTML" hx-headers="${headers}" aria-live="off">${inner}</div>`;
}

/** The overview page: the filter form above the live region. */
export function overviewBody(options: { filters: Filters; components: string[]; live: SafeHtml }): SafeHtml {
  const { filters, components, live } = options;
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}"${value === selected && ' selected'}>${value === '' ? 'any' : value}</option>`;
  return html`<h2 class="sr-only">Overview</h2>
<form class="filters" method="get" action="/console" role="search">
<label for="f-q">Text<input id="f-q" name="q" type="search" value="${filters.q ?? ''}"></label>
<label for="f-tag">Tag<input id="f-tag" name="tag" value="${filters.tag ?? ''}" maxlength="64"></label>
<label for="f-component">Component<select id="f-component" name="component">${['', ...components].map((c) => option(c, filters.component ?? ''))}</select></label>
<label for="f-state">State<select id="f-state" name="state">${['', ...CHECK_LIST_STATES].map((s) => option(s, filters.state ?? ''))}</select></label>
<button type="submit">Filter</button>
</form>
${legend()}
${live}`;
}
