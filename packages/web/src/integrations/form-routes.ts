import type { FastifyInstance } from 'fastify';
import { type Route, registerRoutes } from '../api/route.js';
import type { WebContext } from '../context.js';

/** Providers post small forms (a receipt, a few ids); anything larger is not one of theirs. */
const FORM_LIMIT = 16 * 1024;

/** Routes that providers call back (`/integrations/…`): they post forms, not JSON. */
export function isIntegrationRoute(route: Route): boolean {
  return route.url.startsWith('/integrations/');
}

/**
 * Registers the provider callbacks in a scope that reads `application/x-www-form-urlencoded` bodies
 * into an object of strings (a repeated field keeps its last value); the API beside them stays JSON only.
 */
export function registerIntegrationRoutes(app: FastifyInstance, ctx: WebContext, routes: readonly Route[]): void {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    registerRoutes(scope, ctx, routes);
  });
}
