import { MAX_PING_BODY, type PingKind } from '@vigil/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrorBody } from '../api/api-error.js';
import type { WebContext } from '../context.js';

/** What the last path segment says: `start`, `fail`, or the job's exit code (0 success, anything else failure). */
function readSignal(signal: string | undefined): { kind: PingKind; exitCode?: number } | undefined {
  if (signal === undefined) return { kind: 'success' };
  if (signal === 'start' || signal === 'fail') return { kind: signal };
  if (!/^\d{1,3}$/.test(signal) || Number(signal) > 255) return undefined;
  const exitCode = Number(signal);
  return { kind: exitCode === 0 ? 'success' : 'fail', exitCode };
}

const TOO_LARGE = `a ping's body is kept as its message, at most ${MAX_PING_BODY} bytes (10 KB)`;

/**
 * Heartbeat pings: `GET|POST /ping/<token>[/start|/fail|/<exit code>]`, any body up to 10 KB kept as
 * the check's last message. One script per ping (token, rate limit, state); an unknown token gets the
 * same 404 after the same work and stores nothing. Requests are logged by route pattern, so the
 * token never reaches a log line.
 */
export function registerPingRoutes(app: FastifyInstance, ctx: WebContext): void {
  void app.register(async (scope) => {
    // Jobs send whatever curl or wget sends; the body is text for people, never parsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_PING_BODY }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      return reply
        .code(413)
        .send(apiErrorBody('PAYLOAD_TOO_LARGE', `body: ${TOO_LARGE}`, [{ path: 'body', message: TOO_LARGE }]));
    });
    const handler = (request: FastifyRequest, reply: FastifyReply) => ping(ctx, request, reply);
    for (const url of ['/ping/:token', '/ping/:token/:signal']) {
      scope.route({ method: ['GET', 'POST'], url, exposeHeadRoute: false, handler });
    }
  });
}

async function ping(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { token = '', signal } = request.params as { token?: string; signal?: string };
  const said = readSignal(signal);
  if (!said) {
    const message = 'expected start, fail or an exit code from 0 to 255';
    return reply
      .code(400)
      .send(apiErrorBody('VALIDATION', `signal: ${message}`, [{ path: 'signal', message, in: 'params' }]));
  }
  const body = typeof request.body === 'string' ? request.body : '';
  const outcome = await ctx.heartbeats.ping(token, {
    ...said,
    ...(body !== '' && { body }),
    now: ctx.clock.now(),
  });
  if (outcome.status === 'unknown') {
    const message = 'no heartbeat check has this token (`vigil checks token ID` makes one)';
    return reply
      .code(404)
      .send(apiErrorBody('NOT_FOUND', `token: ${message}`, [{ path: 'token', message, in: 'params' }]));
  }
  if (outcome.status === 'limited') {
    const message = 'too many pings with this token; a job pings once a run';
    reply.header('retry-after', String(outcome.retryAfterS));
    return reply.code(429).send(apiErrorBody('RATE_LIMITED', `rate limit: ${message}`, [{ path: 'token', message }]));
  }
  return reply.code(200).send({ ok: true, check: outcome.checkId, signal: said.exitCode ?? said.kind });
}
