import { createHmac } from 'node:crypto';
import { createLogger } from '@vigil/core';
import { freePort, T0 } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChannelContext, PermanentDeliveryError } from '../channel.js';
import { LINKS, largeIncident, resolvedIncident, sampleIncident, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createWebhookChannel, signWebhook, verifyWebhook } from './webhook.js';

const SECRET = 'webhook-secret';
const NOW = T0 + 12 * 60_000;

const iso = z.iso.datetime();
const payloadSchema = z.strictObject({
  version: z.literal(1),
  action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedupKey: z.string(),
  summary: z.string(),
  incident: z.object({
    id: z.string(),
    episode: z.number(),
    title: z.string(),
    severity: z.enum(['critical', 'major', 'minor', 'info']),
    startedAt: iso,
    detectedAt: iso,
    downtime: z.object({ atLeastMs: z.number(), atMostMs: z.number(), final: z.boolean() }),
    checksTotal: z.number(),
    checksDown: z.number(),
    members: z.array(
      z.object({
        checkId: z.string(),
        name: z.string(),
        down: z.boolean(),
        since: iso,
        vantagesFailing: z.array(z.string()),
        vantagesTotal: z.number(),
        error: z.string().optional(),
        message: z.string().optional(),
      }),
    ),
    membersOmitted: z.number(),
  }),
  level: z.number(),
  cycle: z.number(),
  recipient: z.object({ id: z.string(), name: z.string() }).optional(),
  links: z.object({ ack: z.url().optional(), incident: z.url().optional(), statusPage: z.url().optional() }),
  at: iso,
  addressEvents: z
    .array(
      z.strictObject({
        type: z.enum(['address down', 'address back']),
        checkId: z.string(),
        address: z.string(),
        since: iso,
        backAt: iso.optional(),
        vantagesFailing: z.array(z.string()),
        vantagesTotal: z.number(),
        error: z.string().optional(),
      }),
    )
    .optional(),
  late: z.literal(true).optional(),
});

describe('webhook channel', () => {
  let receiver: HttpSink;
  const ctx: ChannelContext = {
    log: createLogger({ level: 'silent' }),
    clock: { now: () => NOW },
    secret: SECRET,
    outboxDir: '/nonexistent',
    from: 'vigil@example.com',
  };

  beforeEach(async () => {
    receiver = await startHttpSink();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const received = () => {
    const [request] = receiver.requests;
    if (!request) throw new Error('the receiver got nothing');
    return request;
  };
  const header = (name: string) => {
    const value = received().headers[name];
    return typeof value === 'string' ? value : undefined;
  };

  it('POSTs the documented JSON with the Vigil headers', async () => {
    await createWebhookChannel(ctx).send(samplePage(), { url: `${receiver.url}/hooks/vigil` });

    const request = received();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/vigil');
    expect(header('content-type')).toBe('application/json');
    expect(header('user-agent')).toBe('vigil');
    expect(header('x-vigil-timestamp')).toBe(String(NOW / 1000));
    const payload = payloadSchema.parse(JSON.parse(request.body));
    expect(payload).toMatchObject({
      action: 'trigger',
      dedupKey: 'inc-1:1:0:0:person:ana:trigger',
      summary: '[DOWN] Public API: 2 of 3 checks down — connect_refused',
      incident: { id: 'inc-1', startedAt: '2026-11-20T12:00:00Z', checksTotal: 3, checksDown: 2, membersOmitted: 0 },
      links: LINKS,
      at: '2026-11-20T12:12:00Z',
    });
    expect(payload.incident.members.map((m) => m.checkId)).toEqual(['api-health', 'api-login']);
  });

  it("carries the page's dedup key as Idempotency-Key, the same on every send of one page", async () => {
    const channel = createWebhookChannel(ctx);
    await channel.send(samplePage(), { url: receiver.url });
    await channel.send(samplePage(), { url: receiver.url });
    await channel.send(samplePage({ action: 'resolve' }), { url: receiver.url });
    expect(receiver.requests.map((request) => request.headers['idempotency-key'])).toEqual([
      'inc-1:1:0:0:person:ana:trigger',
      'inc-1:1:0:0:person:ana:trigger',
      'inc-1:1:0:0:person:ana:resolve',
    ]);
    expect(payloadSchema.parse(JSON.parse(received().body)).late).toBeUndefined();
  });

  it('marks the late message with late: true, and it has no ack link', async () => {
    const { ack: _ack, ...links } = LINKS;
    const page = samplePage({ action: 'resolve', late: true, incident: resolvedIncident(), links });
    await createWebhookChannel(ctx).send(page, { url: receiver.url });
    const payload = payloadSchema.parse(JSON.parse(received().body));
    expect(payload).toMatchObject({ action: 'resolve', late: true });
    expect(payload.links.ack).toBeUndefined();
    expect(payload.summary).toBe(
      '[RESOLVED] Public API: 3 checks were down from 2026-11-20T12:00:00Z to 2026-11-20T16:03:30Z, your page could not be delivered in time',
    );
  });

  it('caps the members it sends', async () => {
    await createWebhookChannel(ctx).send(samplePage({ incident: largeIncident(200) }), { url: receiver.url });
    const payload = payloadSchema.parse(JSON.parse(received().body));
    expect(payload.incident.members).toHaveLength(20);
    expect(payload.incident.membersOmitted).toBe(180);
    expect(payload.incident.checksDown).toBe(200);
  });

  it('signs so that a receiver verifies it, and refuses tampering, replays and missing headers', async () => {
    await createWebhookChannel(ctx).send(samplePage(), { url: receiver.url });
    const body = received().body;
    const signed = { secret: SECRET, body, timestampHeader: header('x-vigil-timestamp'), now: NOW };
    const signatureHeader = header('x-vigil-signature');

    const expected = createHmac('sha256', SECRET)
      .update(`${NOW / 1000}.${body}`)
      .digest('hex');
    expect(signatureHeader).toBe(`v1=${expected}`);
    expect(verifyWebhook({ ...signed, signatureHeader })).toEqual({ ok: true });
    expect(verifyWebhook({ ...signed, signatureHeader, body: Buffer.from(body) })).toEqual({ ok: true });
    expect(verifyWebhook({ ...signed, signatureHeader, now: NOW + 4 * 60_000 })).toEqual({ ok: true });

    const refused = (reason: string) => ({ ok: false, reason });
    expect(verifyWebhook({ ...signed, signatureHeader, body: body.replace('inc-1', 'inc-2') })).toEqual(
      refused('mismatch'),
    );
    expect(verifyWebhook({ ...signed, signatureHeader, secret: 'other' })).toEqual(refused('mismatch'));
    expect(verifyWebhook({ ...signed, signatureHeader, timestampHeader: String(NOW / 1000 + 1) })).toEqual(
      refused('mismatch'),
    );
    expect(verifyWebhook({ ...signed, signatureHeader, now: NOW + 6 * 60_000 })).toEqual(refused('stale'));
    expect(verifyWebhook({ ...signed, signatureHeader, now: NOW - 6 * 60_000 })).toEqual(refused('stale'));
    expect(verifyWebhook({ ...signed, signatureHeader: undefined })).toEqual(refused('missing'));
    expect(verifyWebhook({ ...signed, signatureHeader, timestampHeader: null })).toEqual(refused('missing'));
    expect(verifyWebhook({ ...signed, signatureHeader: 'v1=zz' })).toEqual(refused('mismatch'));
  });

  it('accepts any of several signatures, so a receiver can rotate secrets', () => {
    const body = '{"version":1}';
    const signatureHeader = `${signWebhook('old', 1000, body)}, ${signWebhook(SECRET, 1000, body)}`;
    expect(verifyWebhook({ secret: SECRET, body, timestampHeader: '1000', signatureHeader, now: 1_000_000 })).toEqual({
      ok: true,
    });
  });

  it.each([500, 502, 503, 429, 408])('keeps a %i retryable', async (status) => {
    receiver.respond = () => ({ status, body: 'upstream trouble' });
    const error = await createWebhookChannel(ctx)
      .send(samplePage(), { url: receiver.url })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain(`HTTP ${status}`);
    expect(String(error)).not.toContain('upstream trouble');
  });

  it.each([400, 401, 404, 410])('gives up on a %i', async (status) => {
    receiver.respond = () => ({ status });
    await expect(createWebhookChannel(ctx).send(samplePage(), { url: receiver.url })).rejects.toBeInstanceOf(
      PermanentDeliveryError,
    );
  });

  it('does not follow a redirect', async () => {
    receiver.respond = () => ({ status: 302 });
    await expect(createWebhookChannel(ctx).send(samplePage(), { url: receiver.url })).rejects.toThrow(
      /HTTP 302 \(redirects are not followed\)/,
    );
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps a refused connection or a hung receiver retryable', async () => {
    const port = await freePort();
    const refused = await createWebhookChannel(ctx)
      .send(samplePage(), { url: `http://127.0.0.1:${port}/` })
      .catch((err: unknown) => err);
    expect(refused).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(refused)).toMatch(/network error \(ECONNREFUSED\)/);

    receiver.respond = () => 'hang';
    const hung = await createWebhookChannel(ctx, { timeoutMs: 200 })
      .send(samplePage(), { url: receiver.url })
      .catch((err: unknown) => err);
    expect(hung).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(hung)).toMatch(/no response within 200ms/);
  });

  it('names only the origin in errors: paths and queries can carry secrets', async () => {
    receiver.respond = () => ({ status: 500 });
    const url = `${receiver.url}/hooks/s3cr3t-path?token=s3cr3t-query`;
    const error = await createWebhookChannel(ctx)
      .send(samplePage(), { url })
      .catch((err: unknown) => err);
    expect(String(error)).toBe(`Error: webhook delivery to ${receiver.url} failed: HTTP 500`);
  });

  it('carries a signed "address down" with the address and its vantages, and "address back" on the resolve', async () => {
    const address = { address: '5.104.101.30', since: T0, vantagesFailing: ['alpha', 'beta'], vantagesTotal: 3 };
    const member = {
      checkId: 'lb',
      name: 'LB',
      down: true,
      firstFailedRound: T0,
      lastFailedRound: T0 + 60_000,
      vantagesFailing: ['alpha', 'beta'],
      vantagesTotal: 3,
      addresses: [{ ...address, error: 'timeout' as const }],
    };
    const channel = createWebhookChannel(ctx);
    await channel.send(samplePage({ incident: sampleIncident({ members: [member] }) }), { url: receiver.url });
    const back = { ...member, down: false, firstGoodAfter: T0 + 120_000 };
    const resolved = sampleIncident({ status: 'resolved', members: [back] });
    await channel.send(samplePage({ action: 'resolve', incident: resolved }), { url: receiver.url });

    const [down, up] = receiver.requests.map((request) => {
      const timestampHeader = String(request.headers['x-vigil-timestamp']);
      const signatureHeader = String(request.headers['x-vigil-signature']);
      expect(verifyWebhook({ secret: SECRET, body: request.body, timestampHeader, signatureHeader, now: NOW })).toEqual(
        {
          ok: true,
        },
      );
      return payloadSchema.parse(JSON.parse(request.body)).addressEvents;
    });
    expect(down).toEqual([
      {
        type: 'address down',
        checkId: 'lb',
        address: '5.104.101.30',
        since: '2026-11-20T12:00:00Z',
        vantagesFailing: ['alpha', 'beta'],
        vantagesTotal: 3,
        error: 'timeout',
      },
    ]);
    expect(up).toMatchObject([{ type: 'address back', address: '5.104.101.30', backAt: '2026-11-20T12:02:00Z' }]);
  });
});
