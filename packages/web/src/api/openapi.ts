import { z } from 'zod';
import type { Route } from './route.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType): JsonSchema {
  // Input form: what a client sends (durations as text, status ranges as strings).
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const ERROR_RESPONSE = {
  description: 'An error: a stable code, a message, and the fields at fault',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              issues: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    path: { type: 'string' },
                    message: { type: 'string' },
                    received: { type: 'string' },
                    in: { type: 'string', enum: ['body', 'query', 'params', 'headers'] },
                  },
                  required: ['path', 'message'],
                },
              },
            },
            required: ['code', 'message', 'issues'],
          },
        },
        required: ['error'],
      },
    },
  },
};

/** The OpenAPI 3.1 document of the routes, generated from the very schemas that validate them. */
export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const definition of routes) {
    const path = definition.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation: JsonSchema = {
      summary: definition.summary,
      tags: [definition.tag],
      operationId: `${definition.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
      parameters: [...parametersOf(definition.params, 'path'), ...parametersOf(definition.query, 'query')],
      ...(definition.body && {
        requestBody: {
          required: !definition.body.safeParse(undefined).success,
          content: {
            'application/json': { schema: schemaOf(definition.body) },
            // PATCH bodies are JSON merge patches (RFC 7396), also sent under their own media type.
            ...(definition.method === 'PATCH' && {
              'application/merge-patch+json': { schema: schemaOf(definition.body) },
            }),
          },
        },
      }),
      responses: {
        [String(definition.status ?? 200)]: { description: 'Success' },
        ...(definition.access !== 'public' && {
          '401': ERROR_RESPONSE,
          '403': ERROR_RESPONSE,
          '429': ERROR_RESPONSE,
        }),
        '400': ERROR_RESPONSE,
        '404': ERROR_RESPONSE,
      },
      ...(definition.access === 'public'
        ? { security: [] }
        : { security: [{ bearer: [] }], 'x-vigil-scope': definition.access }),
    };
    paths[path] = { ...paths[path], [definition.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil operator API',
      version,
      description: 'Checks, results, uptime, vantages, incidents, on-call, maintenances and tokens.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
