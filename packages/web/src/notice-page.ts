import { escapeHtml } from './status/page/escape.js';

/**
 * A small self-contained page (no script, no external resource) that says what just happened: the
 * acknowledge links' and the subscription links' answers. `after` is trusted markup (a form, a link).
 */
export function noticePage(notice: {
  title: string;
  documentTitle?: string;
  lines: readonly string[];
  after?: string;
}): string {
  const { title, lines } = notice;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(notice.documentTitle ?? title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}}h1{font-size:1.4rem}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}${notice.after ?? ''}</main></body></html>`;
}
