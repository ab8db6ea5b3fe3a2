import { type ApiToken, describeIssues, type FieldIssue, formatPath, toFieldIssues, VigilError } from '@vigil/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { WebContext } from '../context.js';
import { refuseHead } from '../http-hardening.js';
import type { IssueLocation } from './api-error.js';
import { type Access, authenticate } from './auth.js';

export interface RouteCall<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The caller's token; always set unless the route is public. */
  token: ApiToken;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One route: its schemas (the same zod schemas as vigil.yaml), who may call it, and a handler that
 * gets parsed, typed input. The OpenAPI document is generated from the same list.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The success status (200 unless said). */
  status?: number;
  /**
   * A GET that changes state (a signed link that acknowledges) answers HEAD with 405: mail scanners
   * send HEAD to links, and HEAD must never change anything.
   */
  changesState?: true;
  handler(call: RouteCall<P, Q, B>): Promise<unknown>;
}

/** Keeps each route's input types tied to its schemas. */
export function route<P = undefined, Q = undefined, B = undefined>(definition: Route<P, Q, B>): Route {
  return definition as Route;
}

function parsePart<T>(
  schema: z.ZodType<T> | undefined,
  input: unknown,
  where: IssueLocation,
  issues: (FieldIssue & { in: IssueLocation })[],
): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(input ?? (where === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  for (const issue of toFieldIssues(parsed.error, input)) issues.push({ ...issue, in: where });
  return undefined as T;
}

/** Bodies nested deeper than this are refused before a schema or handler walks them recursively. */
export const MAX_BODY_DEPTH = 32;

/** The path of the first object or array nested deeper than MAX_BODY_DEPTH, found without recursion. */
function tooDeep(input: unknown): string | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: input, path: [] }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path } = next;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) return formatPath(path);
    for (const [key, child] of Object.entries(value)) {
      stack.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
    }
  }
  return undefined;
}

function parseBody<T>(
  schema: z.ZodType<T> | undefined,
  input: unknown,
  issues: (FieldIssue & { in: IssueLocation })[],
): T {
  const deep = schema && tooDeep(input);
  if (deep === undefined) return parsePart(schema, input, 'body', issues);
  issues.push({ path: deep, message: `expected at most ${MAX_BODY_DEPTH} levels of nesting`, in: 'body' });
  return undefined as T;
}

/** Registers routes behind authentication, rate limiting and input parsing, all before the handler runs. */
export function registerRoutes(app: FastifyInstance, ctx: WebContext, routes: readonly Route[]): void {
  for (const definition of routes) {
    if (definition.method === 'GET' && definition.changesState) refuseHead(app, definition.url);
    app.route({
      method: definition.method,
      url: definition.url,
      exposeHeadRoute: !definition.changesState,
      handler: async (request, reply) => {
        const token = await authenticate(ctx, request, reply, definition.access);
        const issues: (FieldIssue & { in: IssueLocation })[] = [];
        const params = parsePart(definition.params, request.params, 'params', issues);
        const query = parsePart(definition.query, request.query, 'query', issues);
        const body = parseBody(definition.body, request.body, issues);
        if (issues.length > 0) throw new VigilError('VALIDATION', describeIssues(issues), issues);
        const result = await definition.handler({ params, query, body, token: token as ApiToken, request, reply });
        if (reply.sent) return reply;
        reply.code(definition.status ?? 200);
        return result ?? null;
      },
    });
  }
}
