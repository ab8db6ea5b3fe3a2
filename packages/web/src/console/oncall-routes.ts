import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebContext } from '../context.js';
import type { SafeHtml } from '../status/page/escape.js';
import type { ConsoleAssets } from './assets.js';
import { requirePage, type Signed } from './console-session.js';
import { readOnCallPage } from './oncall-page.js';
import type { SessionStore } from './session-store.js';
import { onCallBody } from './view/oncall.js';

/** What the console's own page routes need from it: the context, sessions, assets and its page sender. */
export interface ConsolePageDeps {
  ctx: WebContext;
  sessions: SessionStore;
  assets: ConsoleAssets;
  send: (
    reply: FastifyReply,
    assets: ConsoleAssets,
    content: { title: string; body: SafeHtml; signed: Signed },
    status?: number,
  ) => FastifyReply;
}

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
