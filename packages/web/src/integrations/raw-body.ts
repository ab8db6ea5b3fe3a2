import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The exact bytes of each provider request's body, as text: signatures (Slack, PagerDuty) are over them. */
const rawBodies = new WeakMap<FastifyRequest, string>();

/** Keeps a request's body as it was sent, for `rawBody`. */
export function keepRawBody(request: FastifyRequest, text: string): void {
  rawBodies.set(request, text);
}

/** The body as sent, when the route's scope kept it (JSON and form bodies of `/integrations/…`). */
export function rawBody(request: FastifyRequest): string | undefined {
  return rawBodies.get(request);
}

/** In the provider callbacks' scope only: JSON bodies are parsed as strictly as the API's, their text kept. */
export function installRawJsonParser(scope: FastifyInstance, bodyLimit: number): void {
  const json = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    keepRawBody(request, String(body));
    return json(request, String(body), done);
  });
}
