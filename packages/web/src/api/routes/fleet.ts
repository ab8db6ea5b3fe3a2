import { buildStatus, onCallReport } from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { hasScope } from '../auth.js';
import { type Route, route } from '../route.js';

/**
 * ISO 8601 with Z or an offset, nothing else: `Date.parse` alone takes `5` for May 2001 and reads a
 * date-time without an offset in the server's own zone.
 */
const atQuery = z.strictObject({
  at: z.iso
    .datetime({
      offset: true,
      error: 'expected an ISO 8601 date-time with Z or an offset, such as 2026-11-25T09:00:00Z',
    })
    .transform((text) => Date.parse(text))
    .optional(),
});

/** What the notifier records under `<vantage>:<problem>` while a vantage is impaired or silent. */
interface VantageProblem {
  since: number;
  why: string;
  incident?: string;
}

const PROBLEMS = ['impaired', 'silent'] as const;

/** Every vantage with its last heartbeat and health (ok, impaired or silent): the API's and the console's fleet view. */
export async function vantageHealth(ctx: WebContext) {
  const now = ctx.clock.now();
  const [heartbeats, problems] = await Promise.all([
    ctx.redis.hgetall(ctx.keys.vantageHeartbeats),
    ctx.redis.hgetall(ctx.keys.vantageProblems),
  ]);
  const silentAfter = ctx.config.notifier.vantages.silentAfter;
  return ctx.config.vantages.map((vantage) => {
    const seen = heartbeats[vantage.id] === undefined ? null : Number(heartbeats[vantage.id]);
    const found = PROBLEMS.flatMap((kind) => {
      const json = problems[`${vantage.id}:${kind}`];
      return json ? [{ kind, ...(JSON.parse(json) as VantageProblem) }] : [];
    });
    const alive = seen !== null && now - seen <= silentAfter;
    return {
      id: vantage.id,
      ...(vantage.sourceAddress && { sourceAddress: vantage.sourceAddress }),
      lastHeartbeatAt: seen,
      alive,
      /** ok, or the notifier's judgement: impaired (failing alone) or silent (no heartbeats). */
      health: found[0]?.kind ?? (alive ? 'ok' : 'silent'),
      problems: found.map((p) => ({
        kind: p.kind,
        since: p.since,
        reason: p.why,
        ...(p.incident && { incident: p.incident }),
      })),
    };
  });
}

/** Vantages, on-call and the fleet status: what an operator reads to know whether Vigil itself is well. */
export function fleetRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/vantages',
      summary: 'Every vantage with its last heartbeat, liveness and health (ok, impaired or silent)',
      tag: 'fleet',
      access: 'read',
      handler: async () => ({ items: await vantageHealth(ctx) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/oncall',
      summary: 'Who is on call in each schedule, now or at a given time, and who is next',
      tag: 'fleet',
      access: 'read',
      query: atQuery,
      async handler({ query }) {
        const at = query.at ?? ctx.clock.now();
        return { at, items: onCallReport(ctx.config, at) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/status',
      summary: "Each check's decided state and latest result per vantage (what `vigil status` shows)",
      tag: 'fleet',
      access: 'read',
      handler: ({ token }) => buildStatus(ctx, hasScope(token, 'admin') ? {} : { owner: token.owner }),
    }),
  ];
}
