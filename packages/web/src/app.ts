import Fastify, { type FastifyInstance } from 'fastify';
import { frameworkError, installErrorHandlers } from './api/api-error.js';
import { openApiDocument } from './api/openapi.js';
import { type Route, registerRoutes, route } from './api/route.js';
import { ackRoutes } from './api/routes/ack.js';
import { checkRoutes } from './api/routes/checks.js';
import { fleetRoutes } from './api/routes/fleet.js';
import { healthRoutes } from './api/routes/health.js';
import { heartbeatRoutes } from './api/routes/heartbeats.js';
import { incidentRoutes } from './api/routes/incidents.js';
import { maintenanceRoutes } from './api/routes/maintenances.js';
import { telegramRoutes } from './api/routes/telegram.js';
import { tokenRoutes } from './api/routes/tokens.js';
import { twilioRoutes } from './api/routes/twilio.js';
import { registerConsole } from './console/console-routes.js';
import type { WebContext } from './context.js';
import { installHttpHardening } from './http-hardening.js';
import { INTEGRATIONS_PREFIX, registerIntegrationRoutes } from './integrations/form-body.js';
import { opsgenieRoutes } from './integrations/opsgenie-webhook.js';
import { pagerDutyRoutes } from './integrations/pagerduty-webhook.js';
import { pushoverCallbackRoutes } from './integrations/pushover-callback.js';
import { slackRoutes } from './integrations/slack-actions.js';
import { registerPingRoutes } from './ping/ping-routes.js';
import { registerPublicSite } from './status/register.js';

/** API bodies are small documents; anything larger is refused before it is parsed. */
const BODY_LIMIT = 256 * 1024;
export const API_VERSION = '1.0.0';

/** Every route of the web role, in the order the OpenAPI document lists them. */
export function webRoutes(ctx: WebContext): Route[] {
  const routes = [
    ...checkRoutes(ctx),
    ...heartbeatRoutes(ctx),
    ...incidentRoutes(ctx),
    ...maintenanceRoutes(ctx),
    ...fleetRoutes(ctx),
    ...tokenRoutes(ctx),
    ...ackRoutes(ctx),
    ...twilioRoutes(ctx),
    ...telegramRoutes(ctx),
    ...pushoverCallbackRoutes(ctx),
    ...slackRoutes(ctx),
    ...pagerDutyRoutes(ctx),
    ...opsgenieRoutes(ctx),
    ...healthRoutes(ctx),
  ];
  routes.push(
    route({
      method: 'GET',
      url: '/api/v1/openapi.json',
      summary: 'This API, described as OpenAPI 3.1',
      tag: 'public',
      access: 'public',
      handler: async () => document,
    }),
  );
  // Generated after the list is complete, so the document describes its own route too.
  const document = openApiDocument(routes, API_VERSION);
  return routes;
}

/**
 * The web role's Fastify app, not yet listening: tests drive it with `inject()`. Requests are
 * logged by Vigil's logger with the route pattern, never headers or the URL itself, so no token
 * (bearer or acknowledge link) reaches a log line.
 */
export function buildApp(ctx: WebContext): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 2_000 },
    frameworkErrors: frameworkError,
  });
  installErrorHandlers(app, ctx.log);
  installHttpHardening(app);
  // JSON merge patch (RFC 7396) has its own media type, for PATCH; its body is JSON, parsed as strictly.
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      if (request.method === 'PATCH') return json(request, String(body), done);
      const refused = Object.assign(new Error('merge patch is for PATCH'), {
        statusCode: 415,
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      });
      return done(refused, undefined);
    },
  );
  app.addHook('onResponse', async (request, reply) => {
    ctx.log.debug(
      {
        method: request.method,
        url: request.routeOptions.url ?? '(none)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  const routes = webRoutes(ctx);
  const inbound = (definition: Route) => definition.url.startsWith(INTEGRATIONS_PREFIX);
  registerRoutes(
    app,
    ctx,
    routes.filter((definition) => !inbound(definition)),
  );
  registerIntegrationRoutes(app, ctx, routes.filter(inbound), BODY_LIMIT);
  registerPingRoutes(app, ctx);
  registerPublicSite(app, ctx);
  registerConsole(app, ctx);
  return app;
}
