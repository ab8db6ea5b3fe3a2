import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/** Registers /history.atom. */
export function registerFeed(_app: FastifyInstance, _ctx: WebContext): void {}
