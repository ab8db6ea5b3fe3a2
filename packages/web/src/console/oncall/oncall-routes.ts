import type { FastifyInstance } from 'fastify';
import type { ConsolePageDeps } from '../page-deps.js';
import { requirePage } from '../session/console-session.js';
import { onCallBody } from '../view/oncall.js';
import { readOnCallPage } from './oncall-page.js';

/** `/console/oncall`: any signed-in session (read scope) sees the schedules and escalation policies of the config. */
export function registerOnCallPage(app: FastifyInstance, deps: ConsolePageDeps): void {
  const { ctx, sessions, assets, send } = deps;
  app.get('/console/oncall', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const body = onCallBody(readOnCallPage(ctx.config, ctx.clock.now()));
    return send(reply, assets, { title: 'On call', body, signed });
  });
}
