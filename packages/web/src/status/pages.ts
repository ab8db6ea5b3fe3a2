import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/** Registers the HTML status page, incident pages and history. */
export function registerPages(_app: FastifyInstance, _ctx: WebContext): void {}
