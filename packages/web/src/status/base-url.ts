import type { FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';

/** Where the public site is reached: `statusPage.url` when configured, else the origin of the request. */
export function publicBaseUrl(request: FastifyRequest, ctx: Pick<WebContext, 'config'>): string {
  const configured = ctx.config.statusPage.url;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
