import type { PublicComponent, PublicIncident, PublicStatus } from '@vigil/core';
import { etagOf } from '../http-cache.js';
import { componentsSection } from './components.js';
import { html, type SafeHtml } from './escape.js';
import { INDICATOR_CLASS } from './format.js';
import { openIncidentsSection, recentlyResolvedSection } from './incidents.js';
import { layout } from './layout.js';
import { maintenanceSection } from './maintenance.js';

/** The overall state in words on a colour: "All Systems Operational", "Partial System Outage", … */
export function banner(status: PublicStatus): SafeHtml {
  return html`<p class="banner banner-${INDICATOR_CLASS[status.indicator]}" id="banner">${status.description}</p>`;
}

export interface LiveView {
  status: PublicStatus;
  /** Incidents resolved lately, newest first. */
  recent: readonly PublicIncident[];
}

/** What changes while the page is open: served alone by `/live` and swapped in by the refresh script. */
export function liveFragment(view: LiveView): SafeHtml {
  const { status, recent } = view;
  return html`${banner(status)}
${openIncidentsSection(status.incidents, status.components)}
${maintenanceSection(status.maintenances, status.components)}
${componentsSection(status.components)}
${recentlyResolvedSection(recent, status.components)}`;
}

/** Double opt-in sign-up; no box ticked means every component. */
export function subscribeForm(components: readonly PublicComponent[]): SafeHtml {
  return html`<section aria-labelledby="subscribe-h"><h2 id="subscribe-h">Subscribe to updates</h2>
<form method="post" action="/subscribe">
<label for="subscribe-email">Email address</label>
<input type="email" id="subscribe-email" name="email" required autocomplete="email">
${
  components.length > 0 &&
  html`<fieldset><legend>Components (none ticked: all of them)</legend>
${components.map(
  (component) =>
    html`<div><input type="checkbox" id="sub-${component.id}" name="components" value="${component.id}"> <label for="sub-${component.id}">${component.name}</label></div>`,
)}
</fieldset>`
}
<button type="submit">Subscribe</button>
</form>
</section>`;
}

export interface HomeOptions {
  view: LiveView;
  subscribe: boolean;
  refreshMs: number;
}

/** The status page: the live region (carrying its fragment's ETag for the first poll), then sign-up. */
export function homePage(options: HomeOptions): string {
  const { view, subscribe, refreshMs } = options;
  const { page, components } = view.status;
  const live = liveFragment(view);
  const body = html`<div id="live" aria-live="polite" data-etag="${etagOf(live.value)}">${live}</div>
${subscribe && subscribeForm(components)}`;
  return layout({ site: page.title, description: page.description, body, refreshMs });
}
