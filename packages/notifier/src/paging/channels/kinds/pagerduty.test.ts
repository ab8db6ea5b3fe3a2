import type { Incident } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordingContext } from '../answer-classes.js';
import { PermanentDeliveryError } from '../channel.js';
import { LINKS, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createPagerDutyChannel } from './pagerduty.js';

/** The Events API's path; the loopback sink stands in for https://events.pagerduty.com. */
const ENQUEUE_PATH = '/v2/enqueue';
const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY00';

/** Events API v2 as documented (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
const triggerSchema = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.literal('trigger'),
  dedup_key: z.string().min(1).max(255),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.iso.datetime().optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  images: z.array(z.strictObject({ src: z.url(), href: z.url().optional(), alt: z.string().optional() })).optional(),
  links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
  client: z.string().optional(),
  client_url: z.url().optional(),
});
/** Acknowledge and resolve events carry the key and nothing else. */
const followUpSchema = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.enum(['acknowledge', 'resolve']),
  dedup_key: z.string().min(1).max(255),
});

describe('pagerduty channel', () => {
  let sink: HttpSink;
  let logged: string[] = [];
  const ctx = () => recordingContext(logged, 'secret');
  const target = () => ({ routingKey: ROUTING_KEY, url: `${sink.url}${ENQUEUE_PATH}` });
  const answer = (status: number) => {
    sink.respond = () => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        status === 202 ? { status: 'success', message: 'Event processed' } : { status: 'invalid event' },
      ),
    });
  };
  /** Every event as PagerDuty would read it: a JSON POST to the enqueue path, and nothing else sent. */
  const received = (): unknown[] =>
    sink.requests.map((request) => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe(ENQUEUE_PATH);
      expect(request.headers['content-type']).toBe('application/json');
      return JSON.parse(request.body);
    });
  const send = (page = samplePage()) => createPagerDutyChannel(ctx()).send(page, target());
  const trigger = () => triggerSchema.parse(received().at(-1));

  beforeEach(async () => {
    sink = await startHttpSink();
  });
  afterEach(async () => {
    await sink.close();
    logged = [];
  });

  it('triggers with the documented payload', async () => {
    answer(202);
    await send();

    const event = trigger();
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      dedup_key: 'vigil-inc-1-1',
      payload: {
        summary: '[DOWN] Public API: 2 of 3 checks down — connect_refused',
        source: 'vigil',
        severity: 'critical',
        timestamp: '2026-11-20T12:01:00.000Z',
        component: 'Public API',
        group: 'component:api',
        class: 'connect_refused',
        custom_details: { checks_down: '2 of 3', vantages: 'eu-west, us-east (2 of 3)', incident: 'inc-1' },
      },
      client: 'Vigil',
      client_url: LINKS.incident,
    });
    expect(event.links).toEqual([
      { href: LINKS.ack, text: 'Acknowledge in Vigil' },
      { href: LINKS.incident, text: 'Incident in Vigil' },
      { href: LINKS.statusPage, text: 'Status page' },
    ]);
    expect(logged.join('')).toContain(`"origin":"${sink.url}"`);
    expect(logged.join('')).not.toContain(ROUTING_KEY);
  });

  it('sends trigger, acknowledge and resolve of one incident to one alert', async () => {
    answer(202);
    const pages = pageSequence();
    await send(pages.trigger);
    await send(pages.acknowledge);
    await send(pages.resolve);

    const [triggered, acknowledged, resolved] = received();
    expect(triggerSchema.parse(triggered).event_action).toBe('trigger');
    expect(followUpSchema.parse(acknowledged).event_action).toBe('acknowledge');
    expect(followUpSchema.parse(resolved).event_action).toBe('resolve');
    const keys = received().map((event) => z.object({ dedup_key: z.string() }).parse(event).dedup_key);
    expect(keys).toEqual(['vigil-inc-1-1', 'vigil-inc-1-1', 'vigil-inc-1-1']);
  });

  it('opens a new alert for a new episode, and the same one for a later escalation level', async () => {
    answer(202);
    await send(samplePage({ level: 1, cycle: 1, dedupKey: 'inc-1:1:1:1:person:bo:trigger' }));
    await send(samplePage({ incident: sampleIncident({ episode: 2 }) }));
    expect(received().map((event) => triggerSchema.parse(event).dedup_key)).toEqual(['vigil-inc-1-1', 'vigil-inc-1-2']);
  });

  it('keeps the summary within 1024 characters', async () => {
    answer(202);
    const long = 'x'.repeat(3000);
    await send(
      samplePage({ componentName: long, incident: sampleIncident({ members: [sampleMember({ name: long })] }) }),
    );
    expect(trigger().payload.summary).toHaveLength(1024);
  });

  it.each<[Incident['severity'], string]>([
    ['critical', 'critical'],
    ['major', 'error'],
    ['minor', 'warning'],
    ['info', 'info'],
  ])('maps severity %s to %s', async (severity, expected) => {
    answer(202);
    await send(samplePage({ incident: sampleIncident({ severity }) }));
    expect(trigger().payload.severity).toBe(expected);
  });

  it('gives up on a 400: PagerDuty refused the event itself', async () => {
    answer(400);
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`PermanentDeliveryError: pagerduty delivery to ${sink.url} failed: HTTP 400`);
  });

  it.each([429, 500, 502])('keeps a %i retryable', async (status) => {
    answer(status);
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain(`HTTP ${status}`);
  });
});
