import type { Maintenance } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';

const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A maintenance as the API lists it: where it was declared, and its current and next window. */
export type MaintenanceRow = Maintenance & {
  source: 'config' | 'api';
  active: boolean;
  next: { start: number; end: number } | null;
};

/** The maintenance form: what was typed (or the stored maintenance as the API takes it), and what was wrong. */
export interface MaintenanceForm {
  /** Set when editing: the id is the URL's and cannot change. */
  editing?: string;
  values: Record<string, string>;
  error?: string;
}

function covers(m: Maintenance): string {
  return [...m.checks.map((id) => `check ${id}`), ...m.components.map((id) => `component ${id}`)].join(', ');
}

function windowOf(m: MaintenanceRow): SafeHtml {
  const first = m.recurring
    ? html`from ${at(m.start)}, every ${m.recurring.every.count}${m.recurring.every.unit} (${m.recurring.timezone})`
    : html`${at(m.start)} – ${at(m.end ?? m.start)}`;
  const state = m.active
    ? html`<span class="state state-maintenance">under maintenance</span>`
    : html`${m.next ? `next ${at(m.next.start)}` : 'over'}`;
  return html`${first}<br>${state}`;
}

function row(m: MaintenanceRow, writable: { csrf: string } | undefined): SafeHtml {
  const base = `/console/maintenances/${m.id}`;
  const actions =
    writable && m.source === 'api'
      ? html`<a href="${base}">Edit</a> <form class="inline" method="post" action="${base}/cancel"><input type="hidden" name="_csrf" value="${writable.csrf}"><button type="submit">Cancel</button></form>`
      : html`${m.source === 'config' ? 'in vigil.yaml' : ''}`;
  return html`<tr id="maintenance-${m.id}"><td>${m.title}<br><span class="muted">${m.id}</span></td><td>${covers(m)}</td><td>${windowOf(m)}</td><td>${actions}</td></tr>`;
}

function field(name: string, label: string, form: MaintenanceForm | undefined, extra = ''): SafeHtml {
  return html`<label>${label}${extra && html` <span class="muted">${extra}</span>`}<input name="${name}" value="${form?.values[name] ?? ''}"></label>`;
}

/** Schedule a maintenance, or edit one: the API's fields, lists as comma-separated ids. */
export function maintenanceFormBody(form: MaintenanceForm | undefined, csrf: string): SafeHtml {
  const editing = form?.editing;
  const action = editing ? `/console/maintenances/${editing}` : '/console/maintenances';
  return html`<h3>${editing ? `Edit ${editing}` : 'Schedule a maintenance'}</h3>
${form?.error !== undefined && html`<p class="error" role="alert" id="maintenance-error">${form.error}</p>`}
<form class="stack" method="post" action="${action}"><input type="hidden" name="_csrf" value="${csrf}">
${!editing && field('id', 'Id', form, 'lowercase letters, digits and dashes')}
${field('title', 'Title', form)}
${field('description', 'Description', form, 'optional')}
${field('checks', 'Checks', form, 'ids, comma-separated')}
${field('components', 'Components', form, 'ids, comma-separated (admins)')}
${field('start', 'Start', form, 'ISO 8601, e.g. 2026-11-25T09:00:00Z')}
${field('end', 'End', form, 'one-off windows')}
${field('every', 'Every', form, 'recurring windows: 1d, 1w')}
${field('duration', 'Duration', form, 'recurring windows: 2h')}
${field('timezone', 'Time zone', form, 'recurring windows; UTC if empty')}
<button class="primary" type="submit">${editing ? 'Save' : 'Schedule'}</button></form>`;
}

/** Maintenances the session may see; for a session that may write, edit and cancel buttons and the form. */
export function maintenancesBody(options: {
  items: MaintenanceRow[];
  csrf: string;
  mayAct: boolean;
  form?: MaintenanceForm | undefined;
}): SafeHtml {
  const { items, csrf, mayAct, form } = options;
  const writable = mayAct ? { csrf } : undefined;
  return html`<h2>Maintenances</h2>${
    items.length === 0
      ? html`<p class="muted">No maintenance.</p>`
      : html`<table><thead><tr><th scope="col">Maintenance</th><th scope="col">Covers</th><th scope="col">Window (UTC)</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead><tbody>${items.map((m) => row(m, writable))}</tbody></table>`
  }
${mayAct && maintenanceFormBody(form, csrf)}`;
}
