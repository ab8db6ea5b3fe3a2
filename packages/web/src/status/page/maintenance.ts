import type { PublicComponent, PublicMaintenance } from '@vigil/core';
import { html, type SafeHtml } from './escape.js';
import { timeTag } from './format.js';

const MAINTENANCE_STATUS_LABEL: Record<PublicMaintenance['status'], string> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
};

function maintenanceItem(maintenance: PublicMaintenance, names: Map<string, string>): SafeHtml {
  const covers = maintenance.components.map((id) => names.get(id) ?? id).join(', ');
  return html`<li class="card" data-status="${maintenance.status}">
<div class="row"><span class="name">${maintenance.title}</span><span>${MAINTENANCE_STATUS_LABEL[maintenance.status]}</span></div>
<p class="meta">${timeTag(maintenance.start)} to ${timeTag(maintenance.end)}${covers && ` · Affects: ${covers}`}</p>
${maintenance.description && html`<p class="desc">${maintenance.description}</p>`}
</li>`;
}

/** Ongoing windows first (the reader orders them by start), then those coming in the next 30 days. */
export function maintenanceSection(
  maintenances: readonly PublicMaintenance[],
  components: readonly PublicComponent[],
): SafeHtml {
  if (maintenances.length === 0) return html``;
  const names = new Map(components.map((component) => [component.id, component.name]));
  return html`<section aria-labelledby="maintenance-h"><h2 id="maintenance-h">Maintenance</h2>
<ul class="list">${maintenances.map((maintenance) => maintenanceItem(maintenance, names))}</ul>
</section>`;
}
