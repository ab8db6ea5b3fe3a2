import { type AckClaim, isVigilError, redeemAckToken, VigilError, verifyAckToken } from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { noticePage } from '../../notice-page.js';
import { type Route, route } from '../route.js';

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: keep it out of Referer headers, and let the page load nothing else.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

const tokenParams = z.strictObject({ token: z.string().min(1).max(2_000) });

export interface AckPage {
  status: number;
  title: string;
  lines: string[];
}

/** The link's claim, if it is genuine, unexpired, unused and for the incident's current episode. */
export async function redeem(ctx: WebContext, token: string, now: number): Promise<AckClaim | AckPage> {
  try {
    const claim = verifyAckToken(ctx.secret, token, now);
    const incident = await ctx.incidents.get(claim.incidentId);
    if (!incident) return gone(claim.incidentId);
    // A reopened incident is a new episode, paged anew: a link from an earlier page must not silence it.
    if (incident.episode !== claim.episode) {
      throw new VigilError('TOKEN_INVALID', 'this acknowledge link is for an earlier episode; use the latest page');
    }
    return await redeemAckToken(ctx, token, now);
  } catch (err) {
    if (!isVigilError(err, 'TOKEN_INVALID')) throw err;
    return { status: 410, title: 'This link cannot be used', lines: [`${err.message}.`] };
  }
}

function gone(incidentId: string): AckPage {
  return { status: 404, title: 'Incident not found', lines: [`Incident ${incidentId} no longer exists.`] };
}

async function acknowledgeByLink(ctx: WebContext, token: string, now: number): Promise<AckPage> {
  const claim = await redeem(ctx, token, now);
  if ('status' in claim) return claim;
  let outcome: Awaited<ReturnType<typeof ctx.incidents.acknowledge>>;
  try {
    outcome = await ctx.incidents.acknowledge(claim.incidentId, claim.by, now);
  } catch (err) {
    if (isVigilError(err, 'NOT_FOUND')) return gone(claim.incidentId);
    throw err;
  }
  const incident = await ctx.incidents.get(claim.incidentId);
  const title = incident?.title ?? `incident ${claim.incidentId}`;
  ctx.log.info({ incident: claim.incidentId, by: claim.by, outcome }, 'acknowledged by link');
  if (outcome === 'acknowledged') {
    return { status: 200, title: 'Acknowledged', lines: [title, 'Escalation has stopped. Thank you.'] };
  }
  if (outcome === 'already') {
    const first = `${incident?.acknowledgedBy ?? 'Someone'} acknowledged it first.`;
    return { status: 200, title: 'Already acknowledged', lines: [title, first] };
  }
  return { status: 200, title: 'Already resolved', lines: [title, 'Nothing to acknowledge: it is resolved.'] };
}

/**
 * `/ack/:token`: the link in every page. It is signed, expires, works once and only for the episode
 * it paged; following it acknowledges the incident for the person it was sent to, and says so on a
 * small page (every answer is a page, never JSON: a person reads it).
 */
export function ackRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/ack/:token',
      summary: 'Acknowledge an incident from the signed link in a page',
      tag: 'public',
      access: 'public',
      changesState: true,
      params: tokenParams,
      async handler({ params, reply }) {
        const answer = await acknowledgeByLink(ctx, params.token, ctx.clock.now());
        return reply
          .code(answer.status)
          .headers(HEADERS)
          .send(noticePage({ title: answer.title, documentTitle: `${answer.title} · Vigil`, lines: answer.lines }));
      },
    }),
  ];
}
