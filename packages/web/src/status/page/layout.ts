import { html, type SafeHtml, trusted } from './escape.js';
import { REFRESH_SCRIPT, REFRESH_SCRIPT_HASH } from './refresh-script.js';
import { STYLES } from './styles.js';

/** Only our inline script may run, fetches go home, forms post home, nothing may frame the page. */
export const PAGE_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${REFRESH_SCRIPT_HASH}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface LayoutOptions {
  /** `statusPage.title`: the h1 on every page. */
  site: string;
  description?: string;
  /** The <title>, before the site's name; the home page uses the site name alone. */
  title?: string;
  body: SafeHtml;
  /** Polls `/live` every so many ms (the home page only). */
  refreshMs?: number;
}

/** The document every public page shares: landmarks, skip link, one h1, the feed link. */
export function layout(options: LayoutOptions): string {
  const { site, description, title, body, refreshMs } = options;
  const live = refreshMs !== undefined;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title ? `${title} · ${site}` : site}</title>
${description && html`<meta name="description" content="${description}">`}
<link rel="icon" href="data:,">
<link rel="alternate" type="application/atom+xml" href="/history.atom" title="${site} incident history">
${live && trusted('<noscript><meta http-equiv="refresh" content="60"></noscript>')}
<style>${trusted(STYLES)}</style>
</head>
<body${live && html` data-refresh-ms="${refreshMs}"`}>
<a class="skip" href="#content">Skip to content</a>
<header><div class="wrap"><h1><a href="/">${site}</a></h1>${description && html`<p>${description}</p>`}</div></header>
<main id="content" tabindex="-1"><div class="wrap">${body}</div></main>
<footer><div class="wrap">
<nav aria-label="Status pages"><a href="/">Current status</a> · <a href="/history">Incident history</a> · <a href="/history.atom">Atom feed</a></nav>
<p>All times are in UTC.</p>
</div></footer>
${live && html`<script>${trusted(REFRESH_SCRIPT)}</script>`}
</body>
</html>
`.value;
}
