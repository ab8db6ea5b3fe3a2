import { html, type SafeHtml } from '../../status/page/escape.js';
import type { ConsoleAssets } from '../assets.js';
import type { OwnerChoice } from '../session/owner-switch.js';

/** Scripts and styles from this origin only, and only as files: no inline script or style runs. */
export const CONSOLE_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  // Not no-referrer: with it Chromium sends `Origin: null` on same-origin POSTs, which the origin check refuses.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * htmx without eval, inline styles or script tags in swapped markup; a 304 (an unchanged fragment)
 * and errors swap nothing.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  responseHandling: [
    { code: '204', swap: false },
    { code: '304', swap: false },
    { code: '[23]..', swap: true },
    { code: '[45]..', swap: false, error: true },
  ],
});

/** Who is signed in, as the header shows them; absent on the sign-in page. */
export interface SignedIn {
  name: string;
  owner: string;
  scope: string;
  csrf: string;
  /** The owners a person signed in through the IdP may switch between; empty for one. */
  owners?: OwnerChoice[];
}

export interface ConsoleLayout {
  assets: ConsoleAssets;
  title: string;
  body: SafeHtml;
  who?: SignedIn;
}

/** A plain form (no script): pick an owner, press Switch. */
function ownerSwitch(owners: OwnerChoice[], csrf: SafeHtml): SafeHtml {
  const options = owners.map(
    (choice) =>
      html`<option value="${choice.owner}"${choice.active ? html` selected` : html``}>${choice.label}</option>`,
  );
  return html`<form method="post" action="/console/owner">${csrf}<label for="owner-switch">Acting as</label>
<select id="owner-switch" name="owner">${options}</select><button type="submit">Switch owner</button></form>`;
}

function whoBlock(who: SignedIn): SafeHtml {
  const csrf = html`<input type="hidden" name="_csrf" value="${who.csrf}">`;
  const owners = who.owners ?? [];
  return html`<div class="who"><span>${who.name} · ${who.owner} · ${who.scope}</span>
${owners.length > 0 && ownerSwitch(owners, csrf)}
<form method="post" action="/console/sign-out">${csrf}<button type="submit">Sign out</button></form>
<form method="post" action="/console/sign-out-everywhere">${csrf}<button type="submit">Sign out everywhere</button></form></div>`;
}

/** The document every console page shares: landmarks, skip link, one h1, the session's CSRF token for htmx. */
export function consoleLayout(options: ConsoleLayout): string {
  const { assets, title, body, who } = options;
  const headers = who && JSON.stringify({ 'x-csrf-token': who.csrf });
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · Vigil console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.styles.url}">
<script src="${assets.htmx.url}" defer></script>
</head>
<body${headers && html` hx-headers="${headers}"`}>
<a class="skip" href="#content">Skip to content</a>
<header><div class="wrap"><h1>Vigil console</h1>
${who && html`<nav aria-label="Console"><a href="/console">Overview</a><a href="/console/incidents">Incidents</a><a href="/console/maintenances">Maintenances</a><a href="/console/oncall">On call</a>${who.scope === 'admin' && html`<a href="/console/tokens">Tokens</a>`}</nav>${whoBlock(who)}`}
</div></header>
<main id="content" tabindex="-1"><div class="wrap">${body}</div></main>
</body>
</html>
`.value;
}

/** A page for an error: what went wrong, in words, with the status the shared rules answered. */
export function errorBody(message: string): SafeHtml {
  return html`<h2>Not done</h2><p class="error" role="alert">${message}</p><p><a href="/console">Back to the overview</a></p>`;
}

/** The console's 404: the same page for an unknown path, a missing id and an id of another tenant's. */
export function notFoundBody(message: string): SafeHtml {
  return html`<h2>Not found</h2><p class="error" role="alert">${message}</p><p>It may have been deleted, or the link is wrong.</p><p><a href="/console">Back to the overview</a></p>`;
}
