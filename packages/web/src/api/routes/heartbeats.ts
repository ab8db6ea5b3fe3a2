import { isProbed, VigilError } from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { visibleCheck } from '../ownership.js';
import { type Route, route } from '../route.js';

const idParams = z.strictObject({ id: z.string().min(1).max(63) });

/** 409 for a check that is probed: only a heartbeat check is pinged. */
async function heartbeatCheck(ctx: WebContext, token: Parameters<typeof visibleCheck>[1], id: string) {
  const check = await visibleCheck(ctx, token, id);
  if (isProbed(check)) {
    const message = `is a ${check.kind} check; only a heartbeat check has a ping token`;
    throw new VigilError('CONFLICT', `check ${id} ${message}`, [{ path: 'id', message }]);
  }
  return check;
}

/**
 * A heartbeat check's ping token and pings. Making a token is editing the check (a write token, its
 * owner's checks only; a vigil.yaml check needs an admin); the pings' last message may hold what
 * a job printed, so it is shown here, to those who may see the check, and never on public pages.
 */
export function heartbeatRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/checks/:id/token',
      summary: 'A new ping token for a heartbeat check, shown this once; the previous one stops working',
      tag: 'checks',
      access: 'write',
      params: idParams,
      status: 201,
      async handler({ params, token, request, reply }) {
        const check = await heartbeatCheck(ctx, token, params.id);
        const secret = await ctx.heartbeats.rotate(check.id, ctx.clock.now());
        // The fleet's public address when the config names one (behind a proxy, the request's host is not it).
        const base = ctx.config.notifier.publicUrl ?? `${request.protocol}://${request.host}`;
        return reply.code(201).send({ check: check.id, token: secret, pingUrl: `${base}/ping/${secret}` });
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/checks/:id/pings',
      summary: 'A heartbeat check’s pings: last ping, success, failure, unfinished start and the last message',
      tag: 'checks',
      access: 'read',
      params: idParams,
      async handler({ params, token }) {
        const check = await heartbeatCheck(ctx, token, params.id);
        const { state, message } = await ctx.heartbeats.show(check.id);
        return {
          check: check.id,
          hasToken: state?.since !== undefined,
          ...state,
          ...(message !== undefined && { message }),
        };
      },
    }),
  ];
}
