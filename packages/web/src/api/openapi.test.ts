import { checkInputSchema } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_VERSION, webRoutes } from '../app.js';
import { testWebApp } from '../testing.js';
import type { Route } from './route.js';

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; [key: string]: unknown };
interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: Schema;
}
interface Operation {
  summary: string;
  operationId: string;
  tags: string[];
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string }>;
  security: Record<string, string[]>[];
  'x-vigil-scope'?: string;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

/** The fields a check has in vigil.yaml, as the configuration reference lists them. */
const CHECK_FIELDS = [
  'id',
  'name',
  'component',
  'http',
  'tcp',
  'dns',
  'icmp',
  'heartbeat',
  'interval',
  'timeout',
  'vantages',
  'confirmations',
  'quorum',
  'severity',
  'escalation',
  'alertOn',
  'tags',
  'paused',
  'public',
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const templated = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Every `$ref` in the document, to check each points at something that exists. */
function refsOf(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [child] : refsOf(child),
  );
}

function resolves(document: unknown, ref: string): boolean {
  if (!ref.startsWith('#/')) return false;
  let at: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    if (at === null || typeof at !== 'object') return false;
    at = (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return at !== undefined;
}

describe('OpenAPI document', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let document: Document;
  let routes: Route[];
  const operation = (definition: Route) => document.paths[templated(definition.url)]?.[definition.method.toLowerCase()];

  beforeAll(async () => {
    t = await testWebApp();
    routes = webRoutes(t.ctx);
    const response = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.json();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('is OpenAPI 3.1.0 with the API version and a bearer scheme, served without a token', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: expect.any(String), version: API_VERSION });
    expect(document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('has an operation for every route, and none that is not a route', () => {
    const missing = routes.filter((definition) => !operation(definition));
    expect(missing.map((definition) => `${definition.method} ${definition.url}`)).toEqual([]);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = routes.map((definition) => `${definition.method} ${templated(definition.url)}`);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('lists each path parameter as required and each query parameter of the schema', () => {
    for (const definition of routes) {
      const op = operation(definition);
      const names = [...definition.url.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const inPath = op?.parameters.filter((parameter) => parameter.in === 'path');
      expect(
        inPath?.map((parameter) => parameter.name),
        definition.url,
      ).toEqual(names);
      expect(inPath?.every((parameter) => parameter.required)).toBe(true);
      const query = definition.query
        ? Object.keys(
            (z.toJSONSchema(definition.query, { io: 'input', unrepresentable: 'any' }) as Schema).properties ?? {},
          )
        : [];
      const inQuery = op?.parameters.filter((parameter) => parameter.in === 'query').map((p) => p.name);
      expect(inQuery, `${definition.method} ${definition.url}`).toEqual(query);
    }
  });

  it('asks for a bearer token with the route’s scope on every route but the public ones', () => {
    for (const definition of routes) {
      const op = operation(definition);
      const where = `${definition.method} ${definition.url}`;
      if (definition.access === 'public') {
        expect(op?.security, where).toEqual([]);
        expect(op?.responses, where).not.toHaveProperty('401');
      } else {
        expect(op?.security, where).toEqual([{ bearer: [] }]);
        expect(op?.['x-vigil-scope'], where).toBe(definition.access);
        expect(Object.keys(op?.responses ?? {}), where).toEqual(expect.arrayContaining(['401', '403', '429']));
      }
      expect(op?.responses, where).toHaveProperty(String(definition.status ?? 200));
    }
  });

  it('describes a JSON request body for every route with a body schema, required unless it is optional', () => {
    for (const definition of routes) {
      const body = operation(definition)?.requestBody;
      const where = `${definition.method} ${definition.url}`;
      if (!definition.body) {
        expect(body, where).toBeUndefined();
        continue;
      }
      expect(body?.content['application/json']?.schema, where).toMatchObject({ type: 'object' });
      expect(body?.required, where).toBe(!definition.body.safeParse(undefined).success);
    }
  });

  it('describes the check body with the fields of a check in vigil.yaml, as a client writes them', () => {
    const create = document.paths['/api/v1/checks']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(create?.properties ?? {}).sort()).toEqual([...CHECK_FIELDS].sort());
    expect(Object.keys(checkInputSchema.shape).sort()).toEqual([...CHECK_FIELDS].sort());
    expect(create?.required).toEqual(['id']);
    expect(create?.additionalProperties).toBe(false);
    // Durations are text in the input form (`30s`), not the milliseconds stored.
    expect(create?.properties?.interval).toMatchObject({ type: 'string' });
    expect(Object.keys(create?.properties?.http?.properties ?? {})).toEqual(
      expect.arrayContaining(['url', 'method', 'headers', 'body', 'expect']),
    );
    expect(create?.properties?.tcp?.properties).toHaveProperty('host');
    // Every kind's settings come from its module in core's registry, described for the reader.
    expect(Object.keys(create?.properties?.dns?.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'type', 'server', 'expect']),
    );
    expect(create?.properties?.dns?.description).toEqual(expect.stringContaining('DNS question'));
    expect(Object.keys(create?.properties?.icmp?.properties ?? {})).toEqual(['host', 'count', 'expect']);
  });

  it('is structurally sound: unique operation ids, known methods, resolvable refs, described responses', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      expect(path).toMatch(/^\/[^:]*$/);
      for (const [method, op] of Object.entries(operations)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        expect(op.operationId).toMatch(/^[A-Za-z0-9]+$/);
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.summary.length).toBeGreaterThan(0);
        expect(op.tags).toHaveLength(1);
        for (const parameter of op.parameters) {
          expect(['path', 'query', 'header', 'cookie']).toContain(parameter.in);
          expect(parameter.schema).toBeTypeOf('object');
        }
        for (const response of Object.values(op.responses)) expect(response.description.length).toBeGreaterThan(0);
      }
    }
    for (const ref of refsOf(document)) expect(resolves(document, ref), ref).toBe(true);
    expect(JSON.stringify(document)).not.toContain('"$schema"');
  });
});
