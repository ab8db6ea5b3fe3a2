import { createLogger } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChannelContext, PermanentDeliveryError, RetryLaterError } from '../channel.js';
import { pageSequence, sampleIncident, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createOpsgenieChannel, OPSGENIE_MESSAGE_MAX } from './opsgenie.js';

const API_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889';

/** Create alert as documented (https://docs.opsgenie.com/docs/alert-api#create-alert), with its limits. */
const createSchema = z.strictObject({
  message: z.string().min(1).max(130),
  alias: z.string().min(1).max(512),
  description: z.string().max(15_000).optional(),
  priority: z.enum(['P1', 'P2', 'P3', 'P4', 'P5']).optional(),
  source: z.string().max(100).optional(),
  entity: z.string().max(512).optional(),
  tags: z.array(z.string().max(50)).max(20).optional(),
  details: z.record(z.string(), z.string().max(8_000)).optional(),
  user: z.string().max(100).optional(),
  note: z.string().max(25_000).optional(),
});
/** Acknowledge and close alert: optional user, source and note. */
const followUpSchema = z.strictObject({
  user: z.string().max(100).optional(),
  source: z.string().max(100).optional(),
  note: z.string().max(25_000).optional(),
});

describe('opsgenie channel', () => {
  let sink: HttpSink;
  let ctx: ChannelContext;
  let target: { apiKey: string; apiBase: string };

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 202, body: '{"result":"Request will be processed","took":0.1,"requestId":"r"}' });
    ctx = {
      log: createLogger({ level: 'silent' }),
      clock: { now: () => T0 },
      secret: 'secret',
      outboxDir: '/nonexistent',
      from: 'v@example.test',
    };
    target = { apiKey: API_KEY, apiBase: `${sink.url}/` };
  });
  afterEach(() => sink.close());

  it('creates one alert per episode by alias, then acknowledges and closes it by alias', async () => {
    const channel = createOpsgenieChannel(ctx);
    const pages = pageSequence();
    for (const page of [pages.trigger, pages.acknowledge, pages.resolve]) await channel.send(page, target);
    const [create, ack, close] = sink.requests;
    expect(create?.method).toBe('POST');
    expect(create?.url).toBe('/v2/alerts');
    expect(create?.headers.authorization).toBe(`GenieKey ${API_KEY}`);
    expect(create?.headers['content-type']).toBe('application/json');
    const alert = createSchema.parse(JSON.parse(create?.body ?? ''));
    expect(alert.alias).toBe('vigil-inc-1-1');
    expect(alert.priority).toBe('P1');
    expect(alert.source).toBe('Vigil');
    expect(alert.details?.incident).toBe('inc-1');
    expect(alert.details?.ack_url).toMatch(/^https:\/\/vigil\.example\.com\/ack\//);
    expect(ack?.url).toBe('/v2/alerts/vigil-inc-1-1/acknowledge?identifierType=alias');
    expect(followUpSchema.parse(JSON.parse(ack?.body ?? '')).note).toContain('Ana');
    expect(close?.url).toBe('/v2/alerts/vigil-inc-1-1/close?identifierType=alias');
    expect(close?.headers.authorization).toBe(`GenieKey ${API_KEY}`);
    followUpSchema.parse(JSON.parse(close?.body ?? ''));
  });

  it('gives a retry and a later level the same alias, and a new episode another', async () => {
    const channel = createOpsgenieChannel(ctx);
    await channel.send(samplePage(), target);
    await channel.send(samplePage({ level: 1, cycle: 1, dedupKey: 'other' }), target);
    await channel.send(samplePage({ incident: sampleIncident({ episode: 2 }) }), target);
    const aliases = sink.requests.map((r) => createSchema.parse(JSON.parse(r.body)).alias);
    expect(aliases).toEqual(['vigil-inc-1-1', 'vigil-inc-1-1', 'vigil-inc-1-2']);
  });

  it('caps the message at 130 characters and maps severities to P1–P5', async () => {
    const channel = createOpsgenieChannel(ctx);
    const title = 'x'.repeat(400);
    for (const severity of ['critical', 'major', 'minor', 'info'] as const) {
      await channel.send(samplePage({ incident: sampleIncident({ severity, title }) }), target);
    }
    const alerts = sink.requests.map((r) => createSchema.parse(JSON.parse(r.body)));
    expect(alerts.map((a) => a.priority)).toEqual(['P1', 'P2', 'P3', 'P5']);
    for (const alert of alerts) expect(alert.message.length).toBeLessThanOrEqual(OPSGENIE_MESSAGE_MAX);
  });

  it.each([
    [429, false],
    [500, false],
    [401, true],
    [422, true],
  ])('answers HTTP %i: permanent %s', async (status, permanent) => {
    sink.respond = () => ({ status, body: '{"message":"nope"}' });
    const sent = createOpsgenieChannel(ctx).send(samplePage(), target);
    await expect(sent).rejects.toThrow(`HTTP ${status}`);
    await expect(sent).rejects.toSatisfy((err) => err instanceof PermanentDeliveryError === permanent);
  });

  it('retries a 429 no sooner than its Retry-After', async () => {
    sink.respond = () => ({ status: 429, body: '', headers: { 'retry-after': '7' } });
    const sent = createOpsgenieChannel(ctx).send(samplePage(), target);
    await expect(sent).rejects.toSatisfy((err) => err instanceof RetryLaterError && err.retryAfterMs === 7_000);
  });

  it('says a hung API timed out, naming only the origin', async () => {
    sink.respond = () => 'hang';
    const sent = createOpsgenieChannel(ctx, { timeoutMs: 200 }).send(samplePage(), target);
    await expect(sent).rejects.toThrow(/no response within 200ms/);
    await expect(sent).rejects.not.toThrow(API_KEY);
  });
});
