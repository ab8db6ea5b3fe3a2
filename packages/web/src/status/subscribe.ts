import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/** Registers email subscriptions: sign-up, confirm, unsubscribe. */
export function registerSubscribe(_app: FastifyInstance, _ctx: WebContext): void {}
