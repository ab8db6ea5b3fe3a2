import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { registerFeed } from './feed.js';
import { registerStatusJson } from './json.js';
import { registerPages } from './pages.js';
import { registerSubscribe } from './subscribe.js';

/** The public site: no token, nothing internal, cached for crowds. Not part of the operator API's OpenAPI. */
export function registerPublicSite(app: FastifyInstance, ctx: WebContext): void {
  registerStatusJson(app, ctx);
  registerFeed(app, ctx);
  registerPages(app, ctx);
  registerSubscribe(app, ctx);
}
