import { type FieldIssue, isVigilError, type Logger, type VigilErrorCode } from '@vigil/core';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/** Where a field issue was found in the request. */
export type IssueLocation = 'body' | 'query' | 'params' | 'headers';

/** The one error body every route answers with: a stable code, a sentence, and the fields at fault. */
export interface ApiErrorBody {
  error: { code: string; message: string; issues: (FieldIssue & { in?: IssueLocation })[] };
}

const STATUS: Record<VigilErrorCode, number> = {
  CONFIG_INVALID: 400,
  ENV_INVALID: 500,
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOKEN_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 403,
  RATE_LIMITED: 429,
  REDIS_UNAVAILABLE: 503,
  API_UNREACHABLE: 502,
};

export function apiErrorBody(
  code: string,
  message: string,
  issues: ApiErrorBody['error']['issues'] = [],
): ApiErrorBody {
  return { error: { code, message, issues } };
}

/** What Fastify itself rejects before a route runs (bad JSON, wrong media type, too large). */
function fastifyClientError(err: FastifyError): { code: string; message: string; path: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'expected content-type application/json (or application/merge-patch+json for PATCH)',
        path: 'content-type',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than the API accepts', path: 'body' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'VALIDATION', message: 'expected a JSON body', path: 'body' };
    default:
      return {
        code: 'VALIDATION',
        message: err instanceof SyntaxError || /JSON/.test(err.message) ? 'expected valid JSON' : err.message,
        path: 'body',
      };
  }
}

/**
 * Fastify's router refusals (a malformed percent-encoding, a path segment over the length limit),
 * which never reach the error handler, in the same shape as every other error.
 */
export function frameworkError(err: FastifyError, _request: unknown, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const message = 'a path segment is longer than the API accepts';
    reply.code(414).send(apiErrorBody('URI_TOO_LONG', `url: ${message}`, [{ path: 'url', message }]));
  } else if (err.code === 'FST_ERR_BAD_URL') {
    const message = 'expected a valid percent-encoded path';
    reply.code(400).send(apiErrorBody('VALIDATION', `url: ${message}`, [{ path: 'url', message }]));
  } else {
    reply.code(500).send(apiErrorBody('INTERNAL', 'internal error; the server log has the details'));
  }
}

/**
 * Maps every failure to a JSON body: VigilErrors by their code, Fastify's own 4xx (bad JSON, media
 * type, size) to the same shape, and anything else to a 500 that says nothing about the code.
 */
export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isVigilError(err)) {
      const status = STATUS[err.code];
      if (status >= 500)
        log.error({ code: err.code, message: err.message, route: request.routeOptions.url }, 'request failed');
      if (err.code === 'RATE_LIMITED' && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
      return reply.code(status).send(apiErrorBody(err.code, err.message, [...err.issues]));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = fastifyClientError(err);
      return reply
        .code(status)
        .send(
          apiErrorBody(known.code, `${known.path}: ${known.message}`, [{ path: known.path, message: known.message }]),
        );
    }
    log.error({ err, route: request.routeOptions.url }, 'request failed');
    return reply.code(500).send(apiErrorBody('INTERNAL', 'internal error; the server log has the details'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    return reply
      .code(404)
      .send(
        apiErrorBody('NOT_FOUND', `no route ${request.method} ${path}`, [
          { path: 'url', message: 'expected a route of this API (GET /api/v1/openapi.json lists them)' },
        ]),
      );
  });
}

/** The HTTP status of an error code, for edges that answer in HTML rather than the API's JSON. */
export function httpStatusOf(code: VigilErrorCode): number {
  return STATUS[code];
}
