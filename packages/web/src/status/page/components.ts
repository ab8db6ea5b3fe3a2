import type { PublicCheck, PublicComponent, UptimeBarDay } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';
import { COMPONENT_STATUS_LABEL, DAY_LABEL, formatPercent } from './format.js';

/** `2026-11-30: 99.95% up`, or what the day lacked: the words behind each bar's colour. */
export function dayLabel(day: UptimeBarDay): string {
  if (day.uptime === null) return `${day.day}: no data`;
  const worst = day.worst === 'operational' || day.worst === 'no_data' ? '' : `, ${DAY_LABEL[day.worst]}`;
  return `${day.day}: ${formatPercent(day.uptime)} up${worst}`;
}

/** The 90 days as a strip; each day an image named by its text, and a spoken summary of the whole. */
export function uptimeBar(component: PublicComponent): SafeHtml {
  const days = component.uptimeDays;
  const uptime = component.uptime === null ? 'no data yet' : `${formatPercent(component.uptime)} uptime`;
  const bad = days.filter((day) => day.worst !== 'operational' && day.worst !== 'no_data');
  const summary = `${component.name}: ${uptime} over the last ${days.length} days; ${
    bad.length === 0 ? 'no day with an outage.' : `${bad.length} with trouble: ${bad.map(dayLabel).join('; ')}.`
  }`;
  return html`<p class="sr-only">${summary}</p>
<div class="bar" aria-hidden="true">${days.map(
    (day) => html`<span class="day d-${day.worst}" title="${dayLabel(day)}"></span>`,
  )}</div>
<div class="bar-legend" aria-hidden="true"><span>${days.length} days ago</span><span>${uptime}</span><span>Today</span></div>`;
}

function checkItem(check: PublicCheck): SafeHtml {
  return html`<li>${check.name} <code>${check.target}</code> <span class="status s-${check.status}">${
    COMPONENT_STATUS_LABEL[check.status]
  }</span></li>`;
}

/** One component: name, state in words, description, public checks, uptime bar. */
export function componentItem(component: PublicComponent): SafeHtml {
  return html`<li class="card" id="component-${component.id}">
<div class="row"><span class="name">${component.name}</span><span class="status s-${component.status}">${
    COMPONENT_STATUS_LABEL[component.status]
  }</span></div>
${component.description && html`<p class="desc">${component.description}</p>`}
${component.checks.length > 0 && html`<ul class="checks">${component.checks.map(checkItem)}</ul>`}
${uptimeBar(component)}
</li>`;
}

/** Components in page order, consecutive ones sharing a group under that group's heading. */
export function componentsSection(components: readonly PublicComponent[]): SafeHtml {
  if (components.length === 0) return html``;
  const runs: { group?: string; members: PublicComponent[] }[] = [];
  for (const component of [...components].sort((a, b) => a.position - b.position)) {
    const last = runs.at(-1);
    if (last && last.group === component.group) last.members.push(component);
    else runs.push({ group: component.group, members: [component] });
  }
  return html`<section aria-labelledby="components-h"><h2 id="components-h">Components</h2>
${runs.map(
  (run) =>
    html`${run.group !== undefined && html`<h3>${run.group}</h3>`}<ul class="list">${run.members.map(componentItem)}</ul>`,
)}
</section>`;
}
