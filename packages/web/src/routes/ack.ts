import { isVigilError, redeemAckToken } from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { type Route, route } from '../route.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML: every character that could open markup or an attribute is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

function page(title: string, lines: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Vigil</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}}h1{font-size:1.4rem}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</main></body></html>`;
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: keep it out of Referer headers, and let the page load nothing else.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

const tokenParams = z.strictObject({ token: z.string().min(1).max(2_000) });

/**
 * `/ack/:token`: the link in every page. It is signed, expires and works once; following it
 * acknowledges the incident for the person it was sent to, and says so on a small page.
 */
export function ackRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/ack/:token',
      summary: 'Acknowledge an incident from the signed link in a page',
      tag: 'public',
      access: 'public',
      params: tokenParams,
      async handler({ params, reply }) {
        const now = ctx.clock.now();
        reply.headers(HEADERS);
        try {
          const claim = await redeemAckToken(ctx, params.token, now);
          const outcome = await ctx.incidents.acknowledge(claim.incidentId, claim.by, now);
          const incident = await ctx.incidents.get(claim.incidentId);
          const title = incident?.title ?? `incident ${claim.incidentId}`;
          ctx.log.info({ incident: claim.incidentId, by: claim.by, outcome }, 'acknowledged by link');
          if (outcome === 'acknowledged')
            return reply.send(page('Acknowledged', [title, 'Escalation has stopped. Thank you.']));
          if (outcome === 'already') {
            return reply.send(
              page('Already acknowledged', [title, `${incident?.acknowledgedBy ?? 'Someone'} acknowledged it first.`]),
            );
          }
          return reply.send(page('Already resolved', [title, 'Nothing to acknowledge: it is resolved.']));
        } catch (err) {
          if (!isVigilError(err, 'TOKEN_INVALID')) throw err;
          return reply.code(410).send(page('This link cannot be used', [`${err.message}.`]));
        }
      },
    }),
  ];
}
