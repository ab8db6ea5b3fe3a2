import type { FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';

/** Where the public site is reached: `statusPage.url` when configured, else the origin of the request. */
export function publicBaseUrl(request: FastifyRequest, ctx: Pick<WebContext, 'config'>): string {
  const configured = ctx.config.statusPage.url;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * The base of links mailed to someone: `statusPage.url`, else `notifier.publicUrl`, else the request's
 * origin only when it is loopback (a laptop). A Host header is the caller's to choose, and a confirmation
 * mail sent by us must never carry a link to where an attacker says we live.
 */
export function mailBaseUrl(request: FastifyRequest, ctx: Pick<WebContext, 'config'>): string | undefined {
  const configured = ctx.config.statusPage.url ?? ctx.config.notifier.publicUrl;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  return LOOPBACK_HOST.test(request.host) ? `${request.protocol}://${request.host}` : undefined;
}
