import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrorBody } from '../api/api-error.js';
import type { WebContext } from '../context.js';
import { opsgenieWebhook } from './opsgenie-webhook.js';
import { pagerDutyWebhook } from './pagerduty-webhook.js';
import { slackActions } from './slack-actions.js';

/** Slack's interaction payloads carry the whole message; 256 KB is well above them. */
export const INBOUND_BODY_LIMIT = 256 * 1024;

type Handler = (ctx: WebContext, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The inbound routes, for tests and the fuzz: each authenticates by its provider's signature or secret. */
export const INTEGRATION_ROUTES: Record<string, Handler> = {
  '/integrations/slack/actions': slackActions,
  '/integrations/pagerduty/webhook': pagerDutyWebhook,
  '/integrations/opsgenie/webhook': opsgenieWebhook,
};

/**
 * Requests from Slack, PagerDuty and Opsgenie: signatures are over the exact bytes sent, so these
 * routes (and only these) take the body raw, whatever its media type, and parse it after verifying.
 */
export function registerSignedInboundRoutes(app: FastifyInstance, ctx: WebContext): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: INBOUND_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      const message = `at most ${INBOUND_BODY_LIMIT} bytes`;
      return reply.code(413).send(apiErrorBody('PAYLOAD_TOO_LARGE', `body: ${message}`, [{ path: 'body', message }]));
    });
    for (const [url, handler] of Object.entries(INTEGRATION_ROUTES)) {
      scope.route({ method: 'POST', url, handler: (request, reply) => handler(ctx, request, reply) });
    }
  });
}
