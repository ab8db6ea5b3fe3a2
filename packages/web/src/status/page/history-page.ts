import type { PublicComponent, PublicIncident } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';
import { formatDay } from './format.js';
import { incidentCard } from './incidents.js';
import { layout } from './layout.js';

export interface HistoryPageOptions {
  site: string;
  /** This page's incidents, newest first. */
  incidents: readonly PublicIncident[];
  components: readonly PublicComponent[];
  /** 1-based. */
  page: number;
  hasMore: boolean;
}

/** Consecutive incidents started on the same UTC day, in the order given. */
export function byDay(incidents: readonly PublicIncident[]): { day: number; incidents: PublicIncident[] }[] {
  const days: { day: number; incidents: PublicIncident[] }[] = [];
  for (const incident of incidents) {
    const day = incident.startedAt - (incident.startedAt % 86_400_000);
    const last = days.at(-1);
    if (last?.day === day) last.incidents.push(incident);
    else days.push({ day, incidents: [incident] });
  }
  return days;
}

function pager(page: number, hasMore: boolean): SafeHtml {
  if (page === 1 && !hasMore) return html``;
  return html`<nav class="pages" aria-label="History pages">
${page > 1 ? html`<a href="/history?page=${page - 1}" rel="prev">Newer incidents</a>` : html`<span></span>`}
${hasMore ? html`<a href="/history?page=${page + 1}" rel="next">Older incidents</a>` : html`<span></span>`}
</nav>`;
}

/** Past incidents, grouped under their day, with a summary of each and a link to its whole timeline. */
export function historyPage(options: HistoryPageOptions): string {
  const { site, incidents, components, page, hasMore } = options;
  const days = byDay(incidents);
  const body = html`<h2>Incident history${page > 1 && ` (page ${page})`}</h2>
${
  days.length === 0
    ? html`<p>${page === 1 ? 'No incidents reported.' : 'No incidents on this page.'}</p>`
    : days.map(
        ({
          day,
          incidents: ofDay,
        }) => html`<section aria-labelledby="day-${day}"><h3 id="day-${day}">${formatDay(day)}</h3>
${ofDay.map((incident) => incidentCard({ incident, components, level: 4, full: false }))}
</section>`,
      )
}
${pager(page, hasMore)}`;
  return layout({ site, title: page > 1 ? `Incident history, page ${page}` : 'Incident history', body });
}
