import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/** Registers the Statuspage-v2-shaped JSON under /api/v2/. */
export function registerStatusJson(_app: FastifyInstance, _ctx: WebContext): void {}
