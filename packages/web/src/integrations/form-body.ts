import type { FastifyInstance } from 'fastify';
import { type Route, registerRoutes } from '../api/route.js';
import type { WebContext } from '../context.js';
import { installRawJsonParser, keepRawBody } from './raw-body.js';

/** A form body as parsed: a name sent twice keeps both values, in order (Twilio signs them all). */
export type FormBody = Record<string, string | string[]>;

/** Where providers call back (`/integrations/<provider>/…`): these routes also take form bodies. */
export const INTEGRATIONS_PREFIX = '/integrations/';

/**
 * Registers the provider callback routes in a scope of their own, where form bodies (how Twilio
 * posts) are parsed; the API's routes keep refusing them with 415.
 */
export function registerIntegrationRoutes(
  app: FastifyInstance,
  ctx: WebContext,
  routes: readonly Route[],
  bodyLimit: number,
): void {
  app.register(async (scope) => {
    installFormParser(scope, bodyLimit);
    installRawJsonParser(scope, bodyLimit);
    registerRoutes(scope, ctx, routes);
  });
}

/** Parses `application/x-www-form-urlencoded` into a `FormBody`. */
function installFormParser(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      keepRawBody(request, String(body));
      const form: FormBody = {};
      for (const [name, value] of new URLSearchParams(String(body))) {
        const seen = Object.hasOwn(form, name) ? form[name] : undefined;
        // defineProperty: a field named `__proto__` stays a field.
        const next = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
        Object.defineProperty(form, name, { value: next, enumerable: true, writable: true, configurable: true });
      }
      done(null, form);
    },
  );
}

/** A form body's single value of `name`, if the body is a form and has one. */
export function formValue(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, name)) return undefined;
  const value = (body as FormBody)[name];
  return typeof value === 'string' ? value : undefined;
}
