import { publicComponents, type SubscriberStore, subscriberEmailSchema } from '@vigil/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { refuseHead } from '../http-hardening.js';
import { noticePage } from '../notice-page.js';
import { mailBaseUrl } from './base-url.js';
import { escapeHtml } from './page/escape.js';

/** A sign-up form is two fields; anything larger is not one. */
const FORM_LIMIT = 16 * 1024;

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Tokens travel in these URLs: keep them out of Referer headers; the pages load nothing and post home.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};

type TokenRoute = { Params: { token: string } };

/** What a page says: a heading, paragraphs, and maybe one button posting back to `action`. */
interface Answer {
  status: number;
  title: string;
  lines: string[];
  button?: { action: string; label: string };
}

/** What every handler here works with. */
interface Subscriptions {
  ctx: WebContext;
  store: SubscriberStore;
  /** Public component id → name. */
  components: ReadonlyMap<string, string>;
}

/**
 * Email subscriptions of the status page, double opt-in: `POST /subscribe` queues a confirmation
 * mail, its link confirms, and the link in every update unsubscribes (after a button, since link
 * scanners follow GETs; mail clients' RFC 8058 one-click POST works directly). No page ever shows
 * an address, and sign-up answers the same whether or not the address was known.
 */
export function registerSubscribe(app: FastifyInstance, ctx: WebContext): void {
  const settings = ctx.config.statusPage.subscribers;
  if (!settings.enabled) return;
  const site: Subscriptions = {
    ctx,
    store: ctx.subscribers,
    components: new Map(publicComponents(ctx.config).map((component) => [component.id, component.name])),
  };
  app.register(async (scope) => {
    // Forms post urlencoded; RFC 8058 one-click may post multipart, whose body it needs not read.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_request, body, done) => done(null, new URLSearchParams(String(body))),
    );
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_r, _b, done) =>
      done(null, undefined),
    );
    scope.post('/subscribe', (request, reply) => send(reply, signUp(site, request)));
    // Following the link confirms; a scanner's HEAD must not.
    refuseHead(scope, '/subscribe/confirm/:token');
    scope.get<TokenRoute>('/subscribe/confirm/:token', { exposeHeadRoute: false }, (request, reply) =>
      send(reply, confirm(site, request.params.token)),
    );
    scope.get<TokenRoute>('/unsubscribe/:token', async (request, reply) =>
      send(reply, unsubscribeForm(site, request.params.token)),
    );
    scope.post<TokenRoute>('/unsubscribe/:token', (request, reply) =>
      send(reply, unsubscribe(site, request.params.token)),
    );
  });
}

const signUpSchema = z.object({
  email: subscriberEmailSchema,
  components: z.union([z.string().transform((id) => [id]), z.array(z.string()).max(200)]).default([]),
});

async function signUp({ ctx, store, components }: Subscriptions, request: FastifyRequest): Promise<Answer> {
  const parsed = signUpSchema.safeParse(signUpFields(request.body));
  if (!parsed.success) {
    // Name the field, never echo the value: it may be an address.
    const field = String(parsed.error.issues[0]?.path[0] ?? 'email');
    return { status: 400, title: 'Check the form', lines: [`${field}: ${parsed.error.issues[0]?.message}.`] };
  }
  const { email } = parsed.data;
  const chosen = [...new Set(parsed.data.components)];
  if (chosen.some((id) => !components.has(id)))
    return { status: 400, title: 'Check the form', lines: ['components: expected components of this status page.'] };
  const now = ctx.clock.now();
  const perHour = ctx.config.statusPage.subscribers.signupsPerHour;
  if (!(await store.admitSignup({ client: request.ip, email }, now, perHour)))
    return { status: 429, title: 'Too many sign-ups', lines: ['Please try again in an hour.'] };
  const base = mailBaseUrl(request, ctx);
  if (base === undefined) {
    ctx.log.warn('a sign-up was refused: set statusPage.url so confirmation links point at the public page');
    return { status: 503, title: 'Subscriptions are not available', lines: ['Please try again later.'] };
  }
  const { id } = await store.subscribe({ email, components: chosen, baseUrl: base }, now);
  ctx.log.info({ subscriber: id }, 'subscription requested');
  return {
    status: 200,
    title: 'Check your inbox',
    lines: ['We have sent a confirmation link to the address you entered. Follow it to start receiving updates.'],
  };
}

/** The sign-up fields from a form (`components` repeated) or a JSON body. */
function signUpFields(body: unknown): Record<string, unknown> {
  if (body instanceof URLSearchParams)
    return { email: body.get('email') ?? undefined, components: body.getAll('components') };
  return typeof body === 'object' && body !== null ? { ...body } : {};
}

async function confirm({ ctx, store, components }: Subscriptions, token: string): Promise<Answer> {
  const confirmed = await store.confirm(token, ctx.clock.now());
  if (!confirmed)
    return { status: 410, title: 'This link cannot be used', lines: ['It has expired or was used already.'] };
  ctx.log.info({ subscriber: confirmed.id }, 'subscription confirmed');
  const names = confirmed.components.map((id) => components.get(id) ?? id);
  const what = names.length > 0 ? names.join(', ') : 'every component of this status page';
  return { status: 200, title: "You're subscribed", lines: [`You will receive updates about ${what}.`] };
}

/** A button, not an action: link scanners that fetch every URL in a mail must not unsubscribe anyone. */
function unsubscribeForm({ store }: Subscriptions, token: string): Answer {
  if (store.verifyUnsubscribeToken(token) === undefined) return invalidUnsubscribe();
  return {
    status: 200,
    title: 'Unsubscribe',
    lines: ['Stop receiving status updates by email?'],
    button: { action: `/unsubscribe/${encodeURIComponent(token)}`, label: 'Unsubscribe' },
  };
}

async function unsubscribe({ ctx, store }: Subscriptions, token: string): Promise<Answer> {
  const id = store.verifyUnsubscribeToken(token);
  if (id === undefined) return invalidUnsubscribe();
  // Unsubscribing twice is not an error: the second click sees the same outcome.
  if (await store.unsubscribe(token)) ctx.log.info({ subscriber: id }, 'unsubscribed');
  return { status: 200, title: "You're unsubscribed", lines: ['You will receive no more status updates by email.'] };
}

function invalidUnsubscribe(): Answer {
  return { status: 404, title: 'This link cannot be used', lines: ['It is not a valid unsubscribe link.'] };
}

async function send(reply: FastifyReply, answer: Answer | Promise<Answer>): Promise<FastifyReply> {
  const { status, ...content } = await answer;
  return reply.code(status).headers(HEADERS).send(page(content));
}

function page(answer: Omit<Answer, 'status'>): string {
  const { button } = answer;
  const form = button
    ? `<form method="post" action="${escapeHtml(button.action)}"><button type="submit">${escapeHtml(button.label)}</button></form>`
    : '';
  return noticePage({ ...answer, after: `${form}\n<p><a href="/">Back to the status page</a></p>` });
}
