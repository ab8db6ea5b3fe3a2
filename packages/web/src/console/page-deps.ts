import { validationError } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { WebContext } from '../context.js';
import type { SafeHtml } from '../status/page/escape.js';
import type { ConsoleAssets } from './assets.js';
import type { Signed } from './session/console-session.js';
import type { SessionStore } from './session/session-store.js';

/** What the console's page routes need from it: the context, sessions, assets and its page sender. */
export interface ConsolePageDeps {
  ctx: WebContext;
  sessions: SessionStore;
  assets: ConsoleAssets;
  /** The console's page sender (layout, headers, who is signed in), with the status to answer. */
  send: (
    reply: FastifyReply,
    assets: ConsoleAssets,
    content: { title: string; body: SafeHtml; signed: Signed },
    status?: number,
  ) => FastifyReply;
}

/** Params, a query or a form read with `schema`; bad input is a VALIDATION error naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw validationError(parsed.error, raw);
  return parsed.data;
}

/** A form's fields as the API's body schemas take them: everything but the CSRF token. */
export function formFields(request: FastifyRequest): Record<string, string> {
  const { _csrf, ...fields } = (request.body ?? {}) as Record<string, string>;
  return fields;
}
